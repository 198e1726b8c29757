/** The two calls every test runner offers (vitest, jest, node:test, mocha): pass `{ describe, it }`. */
export interface ContractRunner {
  describe(name: string, fn: () => void): void;
  it(name: string, fn: () => Promise<void> | void): void;
}

/**
 * How an adapter opts out of contract tests it cannot honour. Every opt-out names the test exactly
 * and says why; an opted-out test is not registered at all, so nothing passes without running.
 */
export interface ContractOptions {
  skip?: readonly { test: string; reason: string }[];
}

type Register = (name: string, fn: () => Promise<void>) => void;

/**
 * Declares one suite: `body` registers its tests through `test`, which leaves out the opted-out
 * ones. A duplicate test name, an opt-out without a reason, or one naming no test of the suite is a
 * programmer error and throws while the suite is collected, so a typo cannot hide a test.
 */
export const defineContract = (
  t: ContractRunner,
  suite: string,
  options: ContractOptions | undefined,
  body: (test: Register) => void,
): void => {
  const skips = new Map<string, string>();
  for (const { test, reason } of options?.skip ?? []) {
    if (reason.trim() === "") throw new Error(`${suite}: the opt-out of "${test}" needs a reason`);
    skips.set(test, reason);
  }
  t.describe(suite, () => {
    const names = new Set<string>();
    body((name, fn) => {
      if (names.has(name)) throw new Error(`${suite}: two tests are named "${name}"`);
      names.add(name);
      if (!skips.has(name)) t.it(name, fn);
    });
    const unknown = [...skips.keys()].filter((name) => !names.has(name));
    if (unknown.length > 0) {
      throw new Error(
        `${suite}: opt-outs name no test of this suite: ${unknown.map((n) => `"${n}"`).join(", ")}`,
      );
    }
  });
};

/** A fresh adapter for one test, whether the factory answers it at once or later. */
export const fresh = async <T>(make: () => Promise<T> | T): Promise<T> => await make();
