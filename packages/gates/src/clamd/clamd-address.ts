import { err, ok, type Result } from "neverthrow";

/** Where clamd listens: a TCP port (`TCPSocket`) or a unix socket (`LocalSocket`). */
export type ClamdAddress =
  | { readonly kind: "tcp"; readonly host: string; readonly port: number }
  | { readonly kind: "unix"; readonly path: string };

const FORMS = "tcp://host:port or unix:/path/to/clamd.sock";

/**
 * Reads a clamd address written as `tcp://host:port` or `unix:/path/to/clamd.sock` (also
 * `unix:///path`). Anything else is refused with the forms that work.
 */
export const parseClamdAddress = (text: string): Result<ClamdAddress, string> => {
  const value = text.trim();
  if (value.startsWith("unix:")) {
    const path = value.slice("unix:".length).replace(/^\/\/(?=\/)/, "");
    return path.startsWith("/")
      ? ok({ kind: "unix", path })
      : err(`the unix socket path must be absolute (${FORMS})`);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return err(`"${value}" is not a clamd address (${FORMS})`);
  }
  if (url.protocol !== "tcp:") return err(`"${url.protocol}" is not a clamd address scheme (${FORMS})`);
  const port = Number(url.port);
  if (url.hostname === "" || !Number.isInteger(port) || port <= 0) {
    return err(`a tcp address needs a host and a port (${FORMS})`);
  }
  if (url.pathname !== "" && url.pathname !== "/") return err(`a tcp address has no path (${FORMS})`);
  // URL keeps the brackets of an IPv6 host; node:net wants the address alone.
  return ok({ kind: "tcp", host: url.hostname.replace(/^\[(.*)\]$/, "$1"), port });
};

/** The address as it is written, for logs and the start banner. */
export const formatClamdAddress = (address: ClamdAddress): string =>
  address.kind === "unix"
    ? `unix:${address.path}`
    : `tcp://${address.host.includes(":") ? `[${address.host}]` : address.host}:${address.port}`;
