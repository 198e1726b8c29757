import { fileNameProblem, visibleFileName } from "../model/primitives.js";

/** A file as storage lists it: what the machine needs to judge it. */
export interface FileFacts {
  readonly name: string;
  readonly size: number;
}

/** One thing wrong with one file; `name` is the file's name as storage holds it. */
export interface FileProblem {
  readonly name: string;
  readonly message: string;
}

/**
 * What is wrong with the files a container holds, file by file: a name the engine would refuse at
 * an upload, a file over `maxFileSize`, or two names that are one once normalised. Files may
 * arrive through a storage link, past the engine, so this is asked wherever the engine lists them.
 */
export const fileProblems = (files: readonly FileFacts[], maxFileSize: number): FileProblem[] => {
  const problems: FileProblem[] = [];
  const seen = new Map<string, string>();
  for (const { name, size } of files) {
    const nameProblem = fileNameProblem(name);
    if (nameProblem !== null) problems.push({ name, message: `the name ${nameProblem}` });
    if (size > maxFileSize) {
      problems.push({
        name,
        message: `is ${size} bytes, over the workspace's limit of ${maxFileSize} bytes per file`,
      });
    }
    const normalized = name.normalize("NFC");
    const first = seen.get(normalized);
    if (first === undefined) seen.set(normalized, name);
    else problems.push({ name, message: `has the same name as ${visibleFileName(first)} once normalised` });
  }
  return problems;
};

/** The files among `files` that were not recorded at submit: nothing unrecorded moves on. */
export const unrecordedFiles = (files: readonly FileFacts[], recorded: readonly string[]): FileProblem[] =>
  files
    .filter((file) => !recorded.includes(file.name))
    .map(({ name }) => ({ name, message: "was not part of the request when it was submitted" }));

/** The problems as one sentence, every file named with its hidden characters spelled out. */
export const describeFileProblems = (problems: readonly FileProblem[]): string =>
  problems.map((problem) => `${visibleFileName(problem.name)} ${problem.message}`).join("; ");
