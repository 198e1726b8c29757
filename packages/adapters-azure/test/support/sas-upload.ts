import { BlockBlobClient } from "@azure/storage-blob";

/**
 * Uploads `content` through a container SAS URL with the storage SDK, as a researcher's tool
 * would: straight to Blob Storage, past the engine. `name` is taken literally (each character
 * percent-encoded), so a name with '/' or '..' reaches storage as one blob name.
 */
export const uploadThroughSas = async (containerUrl: string, name: string, content: Uint8Array | string) => {
  const url = new URL(containerUrl);
  url.pathname = `${url.pathname}/${encodeURIComponent(name).replace(/\./g, "%2E")}`;
  const body = typeof content === "string" ? Buffer.from(content) : content;
  const blob = new BlockBlobClient(url.toString());
  await blob.upload(body, body.byteLength);
  return blob.name;
};
