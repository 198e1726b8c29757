// The airlock's ports on one machine: SQLite (node:sqlite) for records, the filesystem for files.

// Files on the local filesystem.
export type { FileLinkSigner, FileLinkToSign, FileStorageOptions } from "./file-storage.js";
export { createFileStorage } from "./file-storage.js";
