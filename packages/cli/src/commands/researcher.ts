import { stat } from "node:fs/promises";
import { basename } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { isInProgress } from "@airlock/core";
import type { Command } from "commander";
import { contextOf, requireWorkspace, resolveRequest } from "../context.js";
import { downloadFile } from "../download.js";
import { CliError, EXIT } from "../errors.js";
import { bytes, describeComments, describeRequest } from "../format.js";
import { createTransfers, createWaiting } from "../progress.js";
import { DEFAULT_ATTEMPTS, DEFAULT_BLOCK_SIZE, uploadFile } from "../upload.js";
import { withExamples } from "./examples.js";

const positiveNumber = (name: string) => (value: string) => {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0)
    throw new CliError(`${name} must be a positive number`, EXIT.usage);
  return number;
};

export const registerResearcher = (program: Command) => {
  withExamples(
    program
      .command("new")
      .description("create a draft request (import or export) in a workspace")
      .argument("<type>", "import or export")
      .requiredOption("--title <text>", "what the request is, in a few words")
      .requiredOption("--why <text>", "the business justification")
      .action(async (type: string, options: { title: string; why: string }, command: Command) => {
        if (type !== "import" && type !== "export") {
          throw new CliError(`the type is import or export, not "${type}"`, EXIT.usage);
        }
        const context = await contextOf(command);
        const view = await context.client.createRequest(requireWorkspace(context), {
          type,
          title: options.title,
          businessJustification: options.why,
        });
        context.out.result(view, () => describeRequest(view, context.out));
      }),
    [
      'airlock new export --workspace ws1 --title "Cohort results" --why "Figures for the paper"',
      "REQ=$(airlock new import -w ws1 --title Lookup --why 'Code lists' --json | jq -r '.airlockRequest | .workspaceId + \"/\" + .id')",
    ],
  );

  withExamples(
    program
      .command("upload")
      .description("upload files into a draft through its link, in blocks, with a progress bar per file")
      .argument("<request>", "WORKSPACE/ID, or ID with --workspace")
      .argument("<files...>", "files to upload; each keeps its base name")
      .option(
        "--block-size <MiB>",
        "size of each block",
        positiveNumber("--block-size"),
        DEFAULT_BLOCK_SIZE / 1024 / 1024,
      )
      .option(
        "--retries <n>",
        "tries per block when the connection drops",
        positiveNumber("--retries"),
        DEFAULT_ATTEMPTS,
      )
      .action(
        async (
          reference: string,
          files: string[],
          options: { blockSize: number; retries: number },
          command: Command,
        ) => {
          const context = await contextOf(command);
          for (const file of files) {
            const info = await stat(file).catch(() => undefined);
            if (!info?.isFile()) throw new CliError(`${file} is not a file`, EXIT.usage);
          }
          const names = files.map((file) => basename(file));
          const twice = names.find((name, index) => names.indexOf(name) !== index);
          if (twice)
            throw new CliError(`two files are named ${twice}: each file keeps its base name`, EXIT.usage);
          const ref = await resolveRequest(context, reference);
          const { containerUrl } = await context.client.link(ref);
          const transfers = createTransfers(context.out);
          const uploaded: { name: string; size: number; seconds: number }[] = [];
          try {
            for (const path of files) {
              const name = basename(path);
              const info = await stat(path);
              const startedAt = Date.now();
              const progress = transfers.file(name, info.size);
              await uploadFile({
                containerUrl,
                path,
                name,
                blockSize: Math.round(options.blockSize * 1024 * 1024),
                attempts: Math.round(options.retries),
                progress,
              });
              uploaded.push({ name, size: info.size, seconds: (Date.now() - startedAt) / 1000 });
            }
          } finally {
            transfers.stop();
          }
          context.out.result(
            { request: ref, uploaded: uploaded.map(({ name, size }) => ({ name, size })) },
            () =>
              uploaded
                .map(
                  (file) =>
                    `uploaded ${file.name} (${bytes(file.size)} in ${file.seconds.toFixed(1)} s, ${bytes(Math.round(file.size / Math.max(file.seconds, 0.001)))}/s)`,
                )
                .join("\n"),
          );
        },
      ),
    [
      "airlock upload ws1/3f6c… results.csv figures.zip",
      "airlock upload 3f6c… --workspace ws1 big.parquet --block-size 16",
    ],
  );

  const requestCommand = (
    name: string,
    description: string,
    call: (
      context: Awaited<ReturnType<typeof contextOf>>,
      ref: { workspaceId: string; id: string },
    ) => Promise<unknown>,
    human: (value: never, context: Awaited<ReturnType<typeof contextOf>>) => string,
    examples: readonly string[],
  ) =>
    withExamples(
      program
        .command(name)
        .description(description)
        .argument("<request>", "WORKSPACE/ID, or ID with --workspace")
        .action(async (reference: string, _options: unknown, command: Command) => {
          const context = await contextOf(command);
          const ref = await resolveRequest(context, reference);
          const value = await call(context, ref);
          context.out.result(value, () => human(value as never, context));
        }),
      examples,
    );

  requestCommand(
    "submit",
    "submit a draft (or a request returned for changes) for review",
    (context, ref) => context.client.submit(ref),
    (view, context) => describeRequest(view, context.out),
    ["airlock submit ws1/3f6c…", "airlock submit 3f6c… && airlock status 3f6c… --wait"],
  );

  requestCommand(
    "cancel",
    "cancel a request; its files are deleted",
    (context, ref) => context.client.cancel(ref),
    (view, context) => describeRequest(view, context.out),
    ["airlock cancel ws1/3f6c…"],
  );

  requestCommand(
    "changes",
    "what changed per file between the last return for changes and the last submit",
    (context, ref) => context.client.changes(ref),
    (changes: { turn: number; files: { file: string; change: string }[] }) =>
      [
        `turn ${changes.turn}`,
        ...changes.files.map((file) => `  ${file.change.padEnd(9)}  ${file.file}`),
      ].join("\n"),
    [
      "airlock changes ws1/3f6c…",
      "airlock changes ws1/3f6c… --json | jq '.files[] | select(.change != \"unchanged\")'",
    ],
  );

  requestCommand(
    "comments",
    "the comments on a request you may read, oldest first",
    (context, ref) => context.client.comments(ref),
    (answer: { comments: Parameters<typeof describeComments>[0] }) => describeComments(answer.comments),
    ["airlock comments ws1/3f6c…"],
  );

  withExamples(
    program
      .command("comment")
      .description("add a comment to a request, for everyone or (reviewers) for the reviewers only")
      .argument("<request>", "WORKSPACE/ID, or ID with --workspace")
      .argument("<text>", "the comment")
      .option("--file <name>", "the file it is about")
      .option("--reviewers-only", "visible to the request's reviewers only (AirlockManagers)")
      .action(
        async (
          reference: string,
          text: string,
          options: { file?: string; reviewersOnly?: boolean },
          command: Command,
        ) => {
          const context = await contextOf(command);
          const ref = await resolveRequest(context, reference);
          const comment = await context.client.addComment(ref, {
            text,
            visibility: options.reviewersOnly ? "reviewers" : "everyone",
            ...(options.file ? { file: options.file } : {}),
          });
          context.out.result(comment, () => describeComments([comment]));
        },
      ),
    ['airlock comment ws1/3f6c… "The counts below 10 are now suppressed" --file table.csv'],
  );

  withExamples(
    program
      .command("withdraw")
      .description("withdraw files from a draft or a request returned for changes")
      .argument("<request>", "WORKSPACE/ID, or ID with --workspace")
      .argument("<files...>", "names of the files in the request")
      .action(async (reference: string, files: string[], _options: unknown, command: Command) => {
        const context = await contextOf(command);
        const ref = await resolveRequest(context, reference);
        let view = await context.client.getRequest(ref);
        for (const file of files) view = await context.client.withdraw(ref, file);
        context.out.result(view, () => describeRequest(view, context.out));
      }),
    ["airlock withdraw ws1/3f6c… draft-notes.txt"],
  );

  withExamples(
    program
      .command("status")
      .description("a request's status; with --wait, waits until it leaves an in-progress status")
      .argument("<request>", "WORKSPACE/ID, or ID with --workspace")
      .option("--wait", "wait (with a spinner) until the request is no longer being processed")
      .option(
        "--timeout <seconds>",
        "give up waiting after this long (exit code 1)",
        positiveNumber("--timeout"),
        600,
      )
      .option("--interval <seconds>", "how often to ask while waiting", positiveNumber("--interval"), 1)
      .action(
        async (
          reference: string,
          options: { wait?: boolean; timeout: number; interval: number },
          command: Command,
        ) => {
          const context = await contextOf(command);
          const ref = await resolveRequest(context, reference);
          let view = await context.client.getRequest(ref);
          if (options.wait && isInProgress(view.airlockRequest.status)) {
            const deadline = Date.now() + options.timeout * 1000;
            const waiting = createWaiting(context.out, `${view.airlockRequest.status}…`);
            try {
              while (isInProgress(view.airlockRequest.status)) {
                if (Date.now() > deadline) {
                  throw new CliError(
                    `still ${view.airlockRequest.status} after ${options.timeout} s`,
                    EXIT.failure,
                  );
                }
                await sleep(options.interval * 1000);
                view = await context.client.getRequest(ref);
                waiting.update(`${view.airlockRequest.status}…`);
              }
            } finally {
              waiting.stop();
            }
          }
          const current = view;
          context.out.result(current, () => describeRequest(current, context.out));
        },
      ),
    ["airlock status ws1/3f6c…", "airlock status ws1/3f6c… --wait --timeout 300"],
  );

  withExamples(
    program
      .command("download")
      .description("download a request's files, each checked against the sha256 the request recorded")
      .argument("<request>", "WORKSPACE/ID, or ID with --workspace")
      .argument("[dir]", "where to put the files", ".")
      .option(
        "--retries <n>",
        "tries of each part when the connection drops",
        positiveNumber("--retries"),
        DEFAULT_ATTEMPTS,
      )
      .action(async (reference: string, dir: string, options: { retries: number }, command: Command) => {
        const context = await contextOf(command);
        const ref = await resolveRequest(context, reference);
        const view = await context.client.getRequest(ref);
        const files = view.airlockRequest.files.filter((file) => file.state === "active");
        if (files.length === 0) {
          throw new CliError(
            `request ${ref.id} records no files (status ${view.airlockRequest.status})`,
            EXIT.conflict,
          );
        }
        const { containerUrl } = await context.client.link(ref);
        const transfers = createTransfers(context.out);
        const downloaded: { name: string; size: number; path: string; sha256: string }[] = [];
        try {
          for (const file of files) {
            const result = await downloadFile({
              containerUrl,
              name: file.name,
              sha256: file.sha256,
              directory: dir,
              attempts: Math.round(options.retries),
              progress: transfers.file(file.name, file.size),
            });
            downloaded.push({ ...result, sha256: file.sha256 });
          }
        } finally {
          transfers.stop();
        }
        context.out.result({ request: ref, downloaded }, () =>
          downloaded
            .map((file) => `downloaded ${file.name} (${bytes(file.size)}, sha256 verified) to ${file.path}`)
            .join("\n"),
        );
      }),
    [
      "airlock download ws1/3f6c… ./approved",
      "airlock download ws1/3f6c… --json | jq -r '.downloaded[].path'",
    ],
  );
};
