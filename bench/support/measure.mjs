// How the gate benchmarks measure a piece of work in process: its time, the process's RSS growth,
// and how late a 10 ms timer fires meanwhile (what a /health check would wait).

const MIB = 1024 * 1024;

/** p50, p99 and max of `samples`, in their unit, to 3 decimals. */
export const percentiles = (samples) => {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const round = (value) => Number(value.toFixed(3));
  return { p50: round(at(0.5)), p99: round(at(0.99)), max: round(sorted.at(-1)), samples: sorted.length };
};

/** Runs `work`, sampling RSS and a 10 ms timer's lateness meanwhile. */
export const measure = async (work) => {
  globalThis.gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const lateness = [];
  let expected = performance.now() + 10;
  const probe = setInterval(() => {
    const now = performance.now();
    lateness.push(Math.max(0, now - expected));
    expected = now + 10;
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 10);
  const started = performance.now();
  const answer = await work();
  const finished = performance.now();
  // A timer still waiting when the work ends was held back this long (the whole run, for work
  // that never lets the event loop turn).
  lateness.push(Math.max(0, finished - expected));
  clearInterval(probe);
  peak = Math.max(peak, process.memoryUsage().rss);
  return {
    answer,
    seconds: (finished - started) / 1000,
    rssGrowthMiB: Number(((peak - baseline) / MIB).toFixed(1)),
    timerLatenessMs: percentiles(lateness),
  };
};
