import type { StoredFile } from "@airlock/core";

const escapeXml = (text: string) =>
  text.replace(/[<>&'"]/g, (char) => {
    switch (char) {
      case "<":
        return "&lt;";
      case ">":
        return "&gt;";
      case "&":
        return "&amp;";
      case "'":
        return "&apos;";
      default:
        return "&quot;";
    }
  });

/** The body of Azure's List Blobs answer, enough for tools that list a container through a SAS. */
export const enumerationResults = (
  serviceEndpoint: string,
  container: string,
  files: readonly StoredFile[],
): string => {
  const blobs = files
    .map(
      (file) =>
        `<Blob><Name>${escapeXml(file.name)}</Name><Properties>` +
        `<Content-Length>${file.size}</Content-Length><Content-Type>application/octet-stream</Content-Type>` +
        "<BlobType>BlockBlob</BlobType></Properties></Blob>",
    )
    .join("");
  return (
    '<?xml version="1.0" encoding="utf-8"?>' +
    `<EnumerationResults ServiceEndpoint="${escapeXml(serviceEndpoint)}" ContainerName="${escapeXml(container)}">` +
    `<Blobs>${blobs}</Blobs><NextMarker /></EnumerationResults>`
  );
};
