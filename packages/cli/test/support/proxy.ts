import { connect, createServer, type Socket } from "node:net";

export interface CuttingProxy {
  readonly url: string;
  /** How many times the proxy cut a connection. */
  cuts(): number;
  close(): Promise<void>;
}

/**
 * A TCP proxy in front of `target` that, once `cutAfterBytes` bytes have gone in `direction`
 * (`up`: clients to the server, `down`: the server to clients) in total, drops the connection
 * carrying them (both sides, as a network failure would), once; every later connection goes
 * through untouched.
 */
export const startCuttingProxy = async (
  target: string,
  cutAfterBytes: number,
  direction: "up" | "down" = "up",
): Promise<CuttingProxy> => {
  const { hostname, port } = new URL(target);
  let forwarded = 0;
  let cuts = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(port), hostname);
    sockets.add(client).add(upstream);
    const cut = () => {
      client.destroy();
      upstream.destroy();
    };
    /** Forwards a chunk unless it is the one that crosses the threshold in the watched direction. */
    const relay = (to: Socket, watched: boolean) => (chunk: Buffer) => {
      if (watched) {
        forwarded += chunk.length;
        if (cuts === 0 && forwarded >= cutAfterBytes) {
          cuts += 1;
          cut();
          return;
        }
      }
      to.write(chunk);
    };
    client.on("data", relay(upstream, direction === "up"));
    upstream.on("data", relay(client, direction === "down"));
    client.on("end", () => upstream.end());
    upstream.on("end", () => client.end());
    client.on("error", cut);
    upstream.on("error", cut);
    client.on("close", () => sockets.delete(client));
    upstream.on("close", () => sockets.delete(upstream));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const proxyPort = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${proxyPort}`,
    cuts: () => cuts,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
};
