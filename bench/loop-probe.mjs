// Loaded into the server that bench/loop.mjs measures (node --import): the server's own view of
// its event loop, which no client-side delay can blur. On { probe: "snapshot" } it answers the
// event-loop delay since the last snapshot and starts afresh.
import { monitorEventLoopDelay } from "node:perf_hooks";

const delay = monitorEventLoopDelay({ resolution: 1 });
delay.enable();
const ms = (nanoseconds) => Number((nanoseconds / 1e6).toFixed(2));
process.on("message", (message) => {
  if (message?.probe !== "snapshot") return;
  process.send({
    probe: { p50Ms: ms(delay.percentile(50)), p99Ms: ms(delay.percentile(99)), maxMs: ms(delay.max) },
  });
  delay.reset();
});
// The channel to the bench must not keep the server alive, nor stop it from closing.
process.channel?.unref();
