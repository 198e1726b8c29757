/** The time, so tests and benchmarks can control it. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}
