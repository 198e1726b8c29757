/**
 * Bytes being uploaded into each workspace's requests through this engine, against the policy's
 * `maxBytesInFlight`. Held in this process: several engine processes each keep their own count.
 */
export interface BytesInFlight {
  /**
   * Counts `bytes` for `workspaceId` if they fit under `limit`, or when nothing is in flight there
   * (so one file of any allowed size always goes through); answers a release, or `null` if refused.
   */
  reserve(workspaceId: string, bytes: number, limit: number): (() => void) | null;
  /** What is counted for `workspaceId` now. */
  current(workspaceId: string): number;
}

export const createBytesInFlight = (): BytesInFlight => {
  const counted = new Map<string, number>();
  const current = (workspaceId: string) => counted.get(workspaceId) ?? 0;
  return {
    current,
    reserve: (workspaceId, bytes, limit) => {
      const now = current(workspaceId);
      if (now > 0 && now + bytes > limit) return null;
      counted.set(workspaceId, now + bytes);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const left = current(workspaceId) - bytes;
        if (left > 0) counted.set(workspaceId, left);
        else counted.delete(workspaceId);
      };
    },
  };
};

/** Runs work for one key at a time, in order of arrival; other keys do not wait. */
export const createKeyedQueue = () => {
  const tails = new Map<string, Promise<unknown>>();
  return <T>(key: string, work: () => Promise<T>): Promise<T> => {
    const previous = tails.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    const tail = next.catch(() => undefined);
    tails.set(key, tail);
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return next;
  };
};
