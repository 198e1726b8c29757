import type { GateType } from "@airlock/core";

/** What a person reads next to a policy or gate setting; the setting's rules are the schema's. */
interface Label {
  readonly label: string;
  readonly hint?: string;
  /** Shown with its size in KiB, MiB, GiB as well. */
  readonly bytes?: boolean;
}

const LABELS: Readonly<Record<string, Label>> = {
  enabled: { label: "Airlock enabled", hint: "Off: no new request can be created in the workspace" },
  scanning: {
    label: "Scan every file for malware",
    hint: "Adds the malware gate when the list below has none",
  },
  requiredApprovals: { label: "Approvals needed", hint: "Reviewers who must approve each file" },
  maxFiles: { label: "Most files per request" },
  maxFileSize: { label: "Largest file (bytes)", bytes: true },
  maxOpenDrafts: { label: "Open drafts per person" },
  maxBytesInFlight: {
    label: "Bytes uploading at once (bytes)",
    hint: "Across the workspace's requests",
    bytes: true,
  },
  requireFileContext: {
    label: "Descriptions needed to submit",
    hint: "Each file's description and disclosure controls",
  },
  independentReview: {
    label: "Independent review",
    hint: "A reviewer sees the others' votes and notes only after voting on every file",
  },
  allow: { label: "Allowed extensions", hint: "Separated by commas or spaces, e.g. csv, txt, png" },
  maxEntries: { label: "Most entries in an archive" },
  maxExpandedBytes: { label: "Most bytes an archive expands to", bytes: true },
  maxRatio: { label: "Highest compression ratio" },
  maxDepth: { label: "Deepest archive in an archive" },
  maxFileBytes: { label: "Largest file the gate passes (bytes)", hint: "Empty: no limit", bytes: true },
  maxRequestBytes: {
    label: "Largest request the gate passes (bytes)",
    hint: "Empty: no limit",
    bytes: true,
  },
  threshold: {
    label: "Smallest count passed without review",
    hint: "A cell counting fewer (or zero) goes to a reviewer",
  },
};

export const labelOf = (name: string): Label => LABELS[name] ?? { label: name };

export const GATE_NAMES: Readonly<Record<GateType, string>> = {
  malware: "Malware scan",
  "file-type": "File types",
  archive: "Archives",
  size: "Sizes",
  disclosure: "Disclosure (small counts)",
};
