import { describeBytes } from "./bytes.js";
import { fileNameProblem } from "./primitives.js";
import type { WorkspacePolicy } from "./workspace.js";

/** The name's extension, lower case, without the dot; `""` when it has none. */
export const extensionOf = (name: string): string => {
  const dot = name.lastIndexOf(".");
  return dot <= 0 || dot === name.length - 1 ? "" : name.slice(dot + 1).toLowerCase();
};

/**
 * What a workspace's policy asks of the files a researcher uploads, as its members may read it: an
 * uploader checks a file against these before sending it, and the engine and its gates judge it
 * again whatever the uploader did.
 */
export interface UploadRules {
  /** Active files a request may hold. */
  readonly maxFiles: number;
  /** Bytes one file may hold: the policy's upload limit, or the size gate's, whichever is lower. */
  readonly maxFileSize: number;
  /** Bytes a request's files may hold together (the size gate), or no limit. */
  readonly maxRequestBytes: number | null;
  /** Extensions a file may carry (the file-type gate), lower case without the dot, or any. */
  readonly allowedExtensions: readonly string[] | null;
  /** Whether each file needs a description and its disclosure controls before a submit. */
  readonly requireFileContext: boolean;
}

export const uploadRulesOf = (policy: WorkspacePolicy): UploadRules => {
  const size = policy.gates.find((gate) => gate.type === "size");
  const fileType = policy.gates.find((gate) => gate.type === "file-type");
  return {
    maxFiles: policy.maxFiles,
    maxFileSize: Math.min(policy.maxFileSize, size?.maxFileBytes ?? Number.POSITIVE_INFINITY),
    maxRequestBytes: size?.maxRequestBytes ?? null,
    allowedExtensions: fileType ? [...fileType.allow] : null,
    requireFileContext: policy.requireFileContext,
  };
};

/** A file an uploader is about to send, or one the request already holds. */
export interface FileToUpload {
  readonly name: string;
  readonly size: number;
}

/** Why one file of a planned upload would be refused or failed; none when it would not. */
export interface UploadProblem {
  /** The file the problem is about, or null when it is about the request as a whole. */
  readonly file: string | null;
  readonly message: string;
}

/** Two sizes in words, exact when rounding would make them read the same. */
const describeApart = (size: number, limit: number): [string, string] => {
  const [a, b] = [describeBytes(size), describeBytes(limit)];
  return a === b ? [`${size} bytes`, `${limit} bytes`] : [a, b];
};

/**
 * What would stop `adding` from going into a request that already holds `held` (files of the same
 * name are replaced): a name the engine refuses, a file over the size limit, an extension the
 * file-type gate would fail, more files or bytes than the request may hold.
 */
export const uploadProblems = (
  rules: UploadRules,
  adding: readonly FileToUpload[],
  held: readonly FileToUpload[] = [],
): UploadProblem[] => {
  const problems: UploadProblem[] = [];
  for (const file of adding) {
    const nameProblem = fileNameProblem(file.name.normalize("NFC"));
    if (nameProblem !== null) problems.push({ file: file.name, message: `the name ${nameProblem}` });
    if (file.size > rules.maxFileSize) {
      const [size, limit] = describeApart(file.size, rules.maxFileSize);
      problems.push({
        file: file.name,
        message: `is ${size}, over this workspace's limit of ${limit} per file`,
      });
    }
    const extension = extensionOf(file.name);
    if (rules.allowedExtensions !== null && !rules.allowedExtensions.includes(extension)) {
      problems.push({
        file: file.name,
        message: `${extension === "" ? "has no extension" : `has the extension .${extension}`}, which this workspace does not accept (accepted: ${rules.allowedExtensions.map((name) => `.${name}`).join(", ")})`,
      });
    }
  }
  const names = new Set(adding.map((file) => file.name));
  const all = [...held.filter((file) => !names.has(file.name)), ...adding];
  if (all.length > rules.maxFiles) {
    problems.push({
      file: null,
      message: `a request here holds at most ${rules.maxFiles} file${rules.maxFiles === 1 ? "" : "s"}; this would make ${all.length}`,
    });
  }
  const bytes = all.reduce((sum, file) => sum + file.size, 0);
  if (rules.maxRequestBytes !== null && bytes > rules.maxRequestBytes) {
    const [size, limit] = describeApart(bytes, rules.maxRequestBytes);
    problems.push({
      file: null,
      message: `a request here holds at most ${limit} in all; this would make ${size}`,
    });
  }
  return problems;
};
