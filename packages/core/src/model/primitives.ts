import { z } from "zod";

/** A bounded, trimmed, non-empty line of text. */
export const boundedText = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
    .refine((value) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(value), {
      message: "must not contain control characters",
    });

export const Id = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "must be letters, digits, '.', '_' or '-'");

/** Seconds since the Unix epoch, as upstream's JSON carries times. */
export const EpochSeconds = z.number().nonnegative();

export const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, "must be a lowercase hex sha256");

/**
 * A file name inside a request's container: one path segment, never a traversal, never a
 * control character, and short enough for every storage backend.
 */
export const FileName = z
  .string()
  .min(1)
  .max(255)
  .refine((name) => !/[/\\]/.test(name), { message: "must not contain a path separator" })
  .refine((name) => name !== "." && name !== ".." && !name.includes(".."), {
    message: "must not contain '..'",
  })
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
  .refine((name) => !/[\u0000-\u001f\u007f]/.test(name), { message: "must not contain control characters" })
  .refine((name) => name.trim() === name, { message: "must not start or end with white space" });
