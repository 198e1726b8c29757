import type { Command } from "commander";
import type { RequestView } from "../client.js";
import { contextOf, resolveRequest } from "../context.js";
import { CliError, EXIT } from "../errors.js";
import { describeComments, describeFindings, describeRequest, requestLine } from "../format.js";
import { collect, withExamples } from "./examples.js";

/** `FILE=TEXT`: a comment on one file. */
const fileComment = (pair: string) => {
  const at = pair.indexOf("=");
  if (at <= 0) throw new CliError(`--file-comment takes FILE=TEXT, not "${pair}"`, EXIT.usage);
  return { file: pair.slice(0, at), text: pair.slice(at + 1) };
};

export const registerReviewer = (program: Command) => {
  withExamples(
    program
      .command("queue")
      .description("requests awaiting your review, across workspaces")
      .action(async (_options: unknown, command: Command) => {
        const context = await contextOf(command);
        const views: RequestView[] = [];
        let continuation: string | undefined;
        do {
          const page = await context.client.reviewQueue(continuation);
          views.push(...page.airlockRequests);
          continuation = page.continuation ?? undefined;
        } while (continuation);
        context.out.result({ airlockRequests: views }, () =>
          views.length === 0 ? "nothing awaits your review" : views.map(requestLine).join("\n"),
        );
      }),
    ["airlock queue", "airlock queue --json | jq -r '.airlockRequests[].airlockRequest.id'"],
  );

  withExamples(
    program
      .command("show")
      .description("a request with its files, the gates' findings and the comments you may read")
      .argument("<request>", "WORKSPACE/ID, or ID with --workspace")
      .action(async (reference: string, _options: unknown, command: Command) => {
        const context = await contextOf(command);
        const ref = await resolveRequest(context, reference);
        const [view, { comments }] = await Promise.all([
          context.client.getRequest(ref),
          context.client.comments(ref),
        ]);
        context.out.result({ ...view, comments }, () =>
          [describeRequest(view, context.out), describeFindings(view), "", describeComments(comments)].join(
            "\n",
          ),
        );
      }),
    ["airlock show ws1/3f6c…"],
  );

  withExamples(
    program
      .command("vote")
      .description("vote on one file of a request under review")
      .argument("<request>", "WORKSPACE/ID, or ID with --workspace")
      .argument("<file>", "the file's name")
      .argument("<vote>", "approve or request_changes")
      .option("--comment <text>", "a note for the other reviewers")
      .action(
        async (
          reference: string,
          file: string,
          vote: string,
          options: { comment?: string },
          command: Command,
        ) => {
          if (vote !== "approve" && vote !== "request_changes") {
            throw new CliError(`the vote is approve or request_changes, not "${vote}"`, EXIT.usage);
          }
          const context = await contextOf(command);
          const ref = await resolveRequest(context, reference);
          const view = await context.client.vote(ref, file, vote, options.comment);
          context.out.result(view, () => describeRequest(view, context.out));
        },
      ),
    [
      "airlock vote ws1/3f6c… results.csv approve",
      'airlock vote ws1/3f6c… raw.csv request_changes --comment "row-level data"',
    ],
  );

  withExamples(
    program
      .command("return")
      .description("return a request to the researcher for changes, with comments")
      .argument("<request>", "WORKSPACE/ID, or ID with --workspace")
      .option("--comment <text>", "a comment for the researcher, repeatable", collect, [])
      .option("--file-comment <file=text>", "a comment on one file, repeatable", collect, [])
      .option("--reviewers-comment <text>", "a comment for the reviewers only, repeatable", collect, [])
      .action(
        async (
          reference: string,
          options: { comment: string[]; fileComment: string[]; reviewersComment: string[] },
          command: Command,
        ) => {
          const comments = [
            ...options.comment.map((text) => ({ text })),
            ...options.fileComment.map(fileComment),
            ...options.reviewersComment.map((text) => ({ text, visibility: "reviewers" as const })),
          ];
          if (comments.length === 0) throw new CliError("return needs at least one --comment", EXIT.usage);
          const context = await contextOf(command);
          const ref = await resolveRequest(context, reference);
          const view = await context.client.returnForChanges(ref, comments);
          context.out.result(view, () => describeRequest(view, context.out));
        },
      ),
    [
      'airlock return ws1/3f6c… --comment "Aggregate the counts below 10"',
      'airlock return ws1/3f6c… --file-comment "raw.csv=remove the postcodes"',
    ],
  );

  for (const [name, approval] of [
    ["approve", true],
    ["reject", false],
  ] as const) {
    withExamples(
      program
        .command(name)
        .description(`${approval ? "approve" : "reject"} a request under review`)
        .argument("<request>", "WORKSPACE/ID, or ID with --workspace")
        .requiredOption("--why <text>", "the decision's explanation")
        .action(async (reference: string, options: { why: string }, command: Command) => {
          const context = await contextOf(command);
          const ref = await resolveRequest(context, reference);
          const view = await context.client.review(ref, approval, options.why);
          context.out.result(view, () => describeRequest(view, context.out));
        }),
      [`airlock ${name} ws1/3f6c… --why "${approval ? "Aggregates only" : "Identifiable data"}"`],
    );
  }

  withExamples(
    program
      .command("revoke")
      .description("revoke an approved request")
      .argument("<request>", "WORKSPACE/ID, or ID with --workspace")
      .requiredOption("--reason <text>", "why it is revoked")
      .action(async (reference: string, options: { reason: string }, command: Command) => {
        const context = await contextOf(command);
        const ref = await resolveRequest(context, reference);
        const view = await context.client.revoke(ref, options.reason);
        context.out.result(view, () => describeRequest(view, context.out));
      }),
    ['airlock revoke ws1/3f6c… --reason "Approved in error"'],
  );
};
