/**
 * The latest `keep` items of a sequence, in order. A long-running server keeps a bounded window
 * of what it sent (nobody reads the rest), a test keeps everything.
 */
export const createRecent = <T>(keep = Number.POSITIVE_INFINITY) => {
  if (!(keep >= 0)) throw new Error(`keep must be a number of items, not ${keep}`);
  const items: T[] = [];
  // Items before `start` are forgotten; they are dropped in bulk, so adding stays O(1).
  let start = 0;
  return {
    add: (item: T) => {
      items.push(item);
      if (items.length - start > keep) start += 1;
      if (start > 1024 && start * 2 > items.length) {
        items.splice(0, start);
        start = 0;
      }
    },
    list: (): T[] => items.slice(start),
  };
};
