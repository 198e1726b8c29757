/**
 * Uploads a File through a container link with the Blob block API, as to an Azure container SAS URL:
 * Put Block for each slice (read from disk as it is sent, so a large file is never held in memory),
 * then Put Block List. Progress comes from XMLHttpRequest's upload events.
 */

/** 8 MiB: few enough calls for a large file, small enough that a retried block costs little. */
export const BLOCK_SIZE = 8 * 1024 * 1024;

/** The Blob service version the calls name (Blob clients send one; errors then come as Azure XML). */
const BLOB_VERSION = "2025-01-05";

/** The URL of one file in a container link: the file name after the container, the link's query kept. */
export const fileUrl = (containerUrl: string, name: string): string => {
  const url = new URL(containerUrl);
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/${encodeURIComponent(name)}`;
  return url.toString();
};

/** Block ids of one blob must all have the same length: a zero-padded index, base64. */
export const blockId = (index: number): string => btoa(`block-${String(index).padStart(6, "0")}`);

export class UploadError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = "UploadError";
  }
}

/** Azure answers XML `<Error><Message>`; the embedded endpoint the same to a Blob client. */
const messageOf = (xhr: XMLHttpRequest): string => {
  const text = xhr.responseText ?? "";
  const message = /<Message>([\s\S]*?)<\/Message>/.exec(text)?.[1];
  return message?.trim() || `the upload was refused (HTTP ${xhr.status})`;
};

const put = (
  url: string,
  body: Blob | string,
  headers: Record<string, string>,
  onProgress: (sent: number) => void,
  signal?: AbortSignal,
): Promise<void> =>
  new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", url);
    xhr.setRequestHeader("x-ms-version", BLOB_VERSION);
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => onProgress(event.loaded);
    xhr.onload = () =>
      xhr.status >= 200 && xhr.status < 300 ? resolve() : reject(new UploadError(messageOf(xhr), xhr.status));
    xhr.onerror = () => reject(new UploadError("the connection failed during the upload", 0));
    xhr.onabort = () => reject(new UploadError("the upload was cancelled", 0));
    signal?.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(body);
  });

export interface UploadOptions {
  readonly containerUrl: string;
  readonly file: File;
  /** The name to store it under; the file's own name by default. */
  readonly name?: string;
  /** Bytes sent so far, of `file.size`. */
  readonly onProgress?: (sent: number) => void;
  readonly signal?: AbortSignal;
  readonly blockSize?: number;
}

export const uploadFile = async (options: UploadOptions): Promise<void> => {
  const { file, containerUrl } = options;
  const url = fileUrl(containerUrl, options.name ?? file.name);
  const size = options.blockSize ?? BLOCK_SIZE;
  const report = options.onProgress ?? (() => {});
  const ids: string[] = [];
  let done = 0;
  // An empty file is still one (empty) block, so the commit names something.
  const count = Math.max(1, Math.ceil(file.size / size));
  for (let index = 0; index < count; index += 1) {
    const slice = file.slice(index * size, Math.min(file.size, (index + 1) * size));
    const id = blockId(index);
    const blockUrl = new URL(url);
    blockUrl.searchParams.set("comp", "block");
    blockUrl.searchParams.set("blockid", id);
    await put(blockUrl.toString(), slice, {}, (sent) => report(done + sent), options.signal);
    done += slice.size;
    report(done);
    ids.push(id);
  }
  const listUrl = new URL(url);
  listUrl.searchParams.set("comp", "blocklist");
  const list = `<?xml version="1.0" encoding="utf-8"?><BlockList>${ids
    .map((id) => `<Latest>${id}</Latest>`)
    .join("")}</BlockList>`;
  await put(listUrl.toString(), list, { "content-type": "application/xml" }, () => {}, options.signal);
};

/** A container's files, from List Blobs (`restype=container&comp=list`). */
export const listFiles = async (containerUrl: string): Promise<{ name: string; size: number }[]> => {
  const url = new URL(containerUrl);
  url.searchParams.set("restype", "container");
  url.searchParams.set("comp", "list");
  const response = await fetch(url, { headers: { "x-ms-version": BLOB_VERSION } });
  if (!response.ok)
    throw new UploadError(`the files could not be listed (HTTP ${response.status})`, response.status);
  const xml = new DOMParser().parseFromString(await response.text(), "application/xml");
  return [...xml.querySelectorAll("Blob")].map((blob) => ({
    name: blob.querySelector("Name")?.textContent ?? "",
    size: Number(blob.querySelector("Content-Length")?.textContent ?? "0"),
  }));
};
