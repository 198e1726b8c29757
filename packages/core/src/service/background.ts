/** Work nobody waits for (announcements, inline processing), tracked so `idle()` can wait for it. */
export interface BackgroundWork {
  run(work: () => Promise<unknown>): void;
  /** Resolves once everything started so far, and everything it started in turn, has finished. */
  idle(): Promise<void>;
}

export const createBackgroundWork = (): BackgroundWork => {
  const pending = new Set<Promise<unknown>>();
  return {
    run: (work) => {
      const promise = work().finally(() => pending.delete(promise));
      pending.add(promise);
    },
    idle: async () => {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };
};
