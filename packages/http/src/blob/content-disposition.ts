/**
 * `Content-Disposition: attachment` for a downloaded file (RFC 6266): `filename` is an ASCII
 * stand-in for old clients, `filename*` the exact name in UTF-8 (RFC 8187). Neither can break out
 * of the header or name a path: quotes, backslashes, slashes and control characters are replaced.
 */
export const attachment = (name: string): string => {
  const base = name.replace(/[/\\]/g, "_").replace(/\p{Cc}/gu, "");
  const ascii =
    base
      .normalize("NFKD")
      .replace(/\p{M}/gu, "")
      .replace(/[^\x20-\x7e]|["%]/g, "_")
      .trim() || "download";
  const encoded = encodeURIComponent(base).replace(
    /['()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
};
