import { z } from "zod";
import { FileName } from "./primitives.js";

/** The gate types a workspace policy may list. */
export const GateType = z.enum(["malware", "file-type", "archive", "size", "disclosure"]);
export type GateType = z.infer<typeof GateType>;

/** What a gate answers for one file: `review` asks a person to look; any `fail` blocks the request. */
export const GateVerdict = z.enum(["pass", "review", "fail"]);
export type GateVerdict = z.infer<typeof GateVerdict>;

const Extension = z
  .string()
  .min(1)
  .max(20)
  .regex(/^\.?[A-Za-z0-9]+$/, "an extension such as csv or .csv")
  // An overwrite, not a transform: the policy is also encoded for the API's answers, and an
  // overwrite runs both ways (it is idempotent).
  .overwrite((extension) => extension.replace(/^\./, "").toLowerCase());

const bytes = () =>
  z
    .number()
    .int()
    .min(1)
    .max(5 * 1024 ** 4);

export const MalwareGateSettings = z.object({ type: z.literal("malware") }).strict();
export const FileTypeGateSettings = z
  .object({
    type: z.literal("file-type"),
    /** The extensions a file may carry; its content must match its extension. */
    allow: z.array(Extension).min(1).max(100),
  })
  .strict();
export const ArchiveGateSettings = z
  .object({
    type: z.literal("archive"),
    maxEntries: z.number().int().min(1).max(1_000_000).default(10_000),
    maxExpandedBytes: bytes().default(4 * 1024 ** 3),
    maxRatio: z.number().min(1).max(10_000).default(100),
    maxDepth: z.number().int().min(0).max(10).default(2),
  })
  .strict();
export const SizeGateSettings = z
  .object({
    type: z.literal("size"),
    maxFileBytes: bytes().optional(),
    maxRequestBytes: bytes().optional(),
  })
  .strict();
export const DisclosureGateSettings = z
  .object({
    type: z.literal("disclosure"),
    /** A cell count under this (or zero) asks a person to look; ACRO's default. */
    threshold: z.number().int().min(1).max(1_000_000).default(10),
  })
  .strict();

/** One gate of a workspace's policy: its type and its settings. */
export const GateSettings = z.discriminatedUnion("type", [
  MalwareGateSettings,
  FileTypeGateSettings,
  ArchiveGateSettings,
  SizeGateSettings,
  DisclosureGateSettings,
]);
export type GateSettings = z.infer<typeof GateSettings>;
export type GateSettingsOf<T extends GateType> = Extract<GateSettings, { readonly type: T }>;

export const FINDING_MESSAGE_MAX = 1000;
/** Findings the engine records per gate and file: enough to act on, bounded whatever the file holds. */
export const FINDINGS_PER_FILE_MAX = 20;

/** What a gate found in one file in one turn; never the file's contents. */
export const Finding = z.object({
  gate: GateType,
  file: FileName,
  verdict: GateVerdict,
  message: z.string().min(1).max(FINDING_MESSAGE_MAX),
  /** Where in the file, when the gate can say (a row and column, an archive entry). */
  location: z.string().min(1).max(500).optional(),
  turn: z.number().int().nonnegative(),
});
export type Finding = z.infer<typeof Finding>;
