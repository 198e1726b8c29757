import { z } from "zod";
import { boundedText, FileName } from "../model/primitives.js";
import { COMMENT_MAX, CommentVisibility, FileContext, RequestStatus, VoteValue } from "../model/request.js";

export const ReviewInput = z.object({
  approval: z.boolean(),
  decisionExplanation: z.string().trim().min(1).max(4000),
});
export type ReviewInput = z.infer<typeof ReviewInput>;

export const RevokeInput = z.object({
  reason: z.string().trim().min(1).max(4000),
});
export type RevokeInput = z.infer<typeof RevokeInput>;

const booleanText = z.union([z.boolean(), z.enum(["true", "false"]).transform((value) => value === "true")]);
const pageSize = z.coerce.number().int().min(1).max(100).default(25);

/** Upstream's query parameters, plus paging. */
export const ListQuery = z.object({
  creator_user_id: z.string().min(1).max(128).optional(),
  type: z.enum(["import", "export"]).optional(),
  status: RequestStatus.optional(),
  order_by: z.enum(["createdWhen", "updatedWhen", "status", "type", "title"]).optional(),
  order_ascending: booleanText.optional(),
  page_size: pageSize,
  continuation: z.string().min(1).max(4096).optional(),
});
export type ListQuery = z.infer<typeof ListQuery>;

export const UserListQuery = z.object({
  airlockManager: z.boolean(),
  page_size: pageSize,
  continuation: z.string().min(1).max(4096).optional(),
});

/** zod issues as `{path, message}` pairs, for problem+json `errors`. */
export const issuesOf = (error: z.ZodError) =>
  error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message }));

const commentText = boundedText(COMMENT_MAX);

/** `PUT …/files/{name}/vote`: the vote, and a comment for the other reviewers explaining it. */
export const VoteInput = z.object({
  vote: VoteValue,
  comment: commentText.optional(),
});
export type VoteInput = z.infer<typeof VoteInput>;

export const CommentInput = z.object({
  text: commentText,
  file: FileName.optional(),
  visibility: CommentVisibility,
});
export type CommentInput = z.infer<typeof CommentInput>;

/** A return's comments: at least one, and at least one the requester may read (the machine checks). */
export const ReturnInput = z.object({
  comments: z
    .array(
      z.object({
        text: commentText,
        file: FileName.optional(),
        visibility: CommentVisibility.default("everyone"),
      }),
    )
    .min(1)
    .max(100),
});
export type ReturnInput = z.infer<typeof ReturnInput>;

/** Sets what is given; a field left out keeps its value. */
export const FileContextInput = FileContext.refine(
  (context) => context.description !== undefined || context.controls !== undefined,
  { message: "give a description, controls, or both" },
);
export type FileContextInput = z.infer<typeof FileContextInput>;
