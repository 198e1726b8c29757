import type { MemoryPorts } from "@airlock/adapters-memory";
import type { AirlockPorts, RequestRepository } from "@airlock/core";
import { ResultAsync } from "neverthrow";

/**
 * Holds the engine's reads of requests and lets them through in batches of `batch`, so that many
 * concurrent commands read the same version before any of them writes: the race the etag guards
 * against happens on every run, not only when the scheduler happens to interleave. A batch that
 * does not fill up is let through after `idleMs` without a new read (the processor's own reads).
 */
export const gateRequestReads =
  (options: { readonly batch: number; readonly idleMs: number }) =>
  (ports: MemoryPorts): AirlockPorts => {
    let waiting: (() => void)[] = [];
    let timer: NodeJS.Timeout | undefined;
    const release = () => {
      clearTimeout(timer);
      timer = undefined;
      const released = waiting;
      waiting = [];
      for (const resume of released) resume();
    };
    const held = () =>
      new Promise<void>((resume) => {
        waiting.push(resume);
        if (waiting.length >= options.batch) return release();
        clearTimeout(timer);
        timer = setTimeout(release, options.idleMs);
      });
    const repository: RequestRepository = {
      ...ports.repository,
      get: (id) => ResultAsync.fromSafePromise(held()).andThen(() => ports.repository.get(id)),
    };
    return { ...ports, repository };
  };
