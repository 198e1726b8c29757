import {
  DEFAULT_POLICY,
  GateSettingsSchema,
  type GateType,
  type WorkspaceMember,
  type WorkspacePolicy,
  WorkspacePolicySchema,
  WorkspaceRegistrationSchema,
  type WorkspaceRole,
  WorkspaceSchema,
} from "@airlock/core";
import type { z } from "zod";

/** A workspace's registration as the API takes it. */
type WorkspaceRegistrationInput = z.input<typeof WorkspaceRegistrationSchema>;

/** A registered workspace as the API answers it (the form reads nothing else). */
interface StoredWorkspace {
  readonly id: string;
  readonly displayName: string;
  readonly clientId: string;
  readonly airlock: WorkspacePolicy;
  readonly members: readonly WorkspaceMember[];
}

/**
 * The workspace form as the person types it: numbers and lists as text, so that what they typed
 * stays on screen until the schema says what is wrong with it. Which fields exist, and what they
 * may hold, comes from core's schemas: the form lists their fields and validates with them.
 */
export interface RegistrationDraft {
  readonly id: string;
  readonly displayName: string;
  /** Empty: the workspace id. */
  readonly clientId: string;
  readonly policy: Readonly<Record<string, string | boolean>>;
  readonly gates: readonly GateDraft[];
  readonly members: readonly MemberDraft[];
}

export interface GateDraft {
  /** Keeps a gate's fields with it while gates are added, removed and moved. */
  readonly key: string;
  readonly type: GateType;
  readonly settings: Readonly<Record<string, string>>;
}

export interface MemberDraft {
  readonly key: string;
  readonly id: string;
  readonly name: string;
  readonly email: string;
  readonly roles: readonly WorkspaceRole[];
}

export type FieldKind = "boolean" | "number" | "list";

export interface FieldSpec {
  readonly name: string;
  readonly kind: FieldKind;
}

/** The kind of value a schema field holds, looking through defaults and optionals. */
const kindOf = (schema: z.ZodType): FieldKind | undefined => {
  let def = schema.def as { type: string; innerType?: z.ZodType };
  while ((def.type === "default" || def.type === "optional") && def.innerType) {
    def = def.innerType.def as typeof def;
  }
  if (def.type === "boolean") return "boolean";
  if (def.type === "number") return "number";
  if (def.type === "array") return "list";
  return undefined;
};

const fieldsOf = (shape: Record<string, z.ZodType>, leaveOut: readonly string[]): FieldSpec[] =>
  Object.entries(shape).flatMap(([name, schema]) => {
    const kind = kindOf(schema);
    return leaveOut.includes(name) || kind === undefined ? [] : [{ name, kind }];
  });

/** The policy's fields in the schema's order; its gates have an editor of their own. */
export const POLICY_FIELDS: readonly FieldSpec[] = fieldsOf(WorkspacePolicySchema.shape, ["gates"]);

/** The gate types a policy may list, in the schema's order. */
export const GATE_TYPES: readonly GateType[] = GateSettingsSchema.options.map(
  (option) => option.shape.type.value,
);

/** Each gate type's settings, in the schema's order. */
export const gateFields = (type: GateType): readonly FieldSpec[] => {
  const option = GateSettingsSchema.options.find((candidate) => candidate.shape.type.value === type);
  return option ? fieldsOf(option.shape as Record<string, z.ZodType>, ["type"]) : [];
};

const textOf = (value: unknown): string =>
  Array.isArray(value) ? value.join(", ") : value === undefined ? "" : String(value);

let keys = 0;
const nextKey = () => {
  keys += 1;
  return `k${keys}`;
};

const gateDraftOf = (gate: Record<string, unknown> & { type: GateType }): GateDraft => ({
  key: nextKey(),
  type: gate.type,
  settings: Object.fromEntries(gateFields(gate.type).map(({ name }) => [name, textOf(gate[name])])),
});

/** A new gate of `type` with its schema's defaults filled in (none where a setting has no default). */
export const newGate = (type: GateType): GateDraft => {
  const defaults = GateSettingsSchema.safeParse({ type });
  return gateDraftOf(defaults.success ? defaults.data : { type });
};

export const newMember = (): MemberDraft => ({ key: nextKey(), id: "", name: "", email: "", roles: [] });

const draftOf = (
  id: string,
  displayName: string,
  clientId: string,
  policy: Record<string, unknown> & { gates: readonly (Record<string, unknown> & { type: GateType })[] },
  members: StoredWorkspace["members"],
): RegistrationDraft => ({
  id,
  displayName,
  clientId,
  policy: Object.fromEntries(
    POLICY_FIELDS.map(({ name, kind }) => [
      name,
      kind === "boolean" ? policy[name] === true : textOf(policy[name]),
    ]),
  ),
  gates: policy.gates.map(gateDraftOf),
  members: members.map((member) => ({ key: nextKey(), ...member, roles: [...member.roles] })),
});

/** A new workspace: the policy's defaults, no gates, no members. */
export const emptyDraft = (): RegistrationDraft => draftOf("", "", "", DEFAULT_POLICY, []);

/** A registered workspace, as the form edits it. */
export const draftOfView = (view: StoredWorkspace): RegistrationDraft =>
  draftOf(view.id, view.displayName, view.clientId, view.airlock, view.members);

/** Text to the value the schema reads: empty is left out (the default applies), a number is parsed. */
const schemaValue = (kind: FieldKind, value: string | boolean): unknown => {
  if (kind === "boolean") return value === true;
  const text = String(value).trim();
  if (kind === "list") return text.split(/[\s,]+/).filter(Boolean);
  return text === "" ? undefined : Number(text);
};

const valuesOf = (fields: readonly FieldSpec[], values: Readonly<Record<string, string | boolean>>) =>
  Object.fromEntries(
    fields.flatMap(({ name, kind }) => {
      const value = schemaValue(kind, values[name] ?? "");
      return value === undefined ? [] : [[name, value]];
    }),
  );

/** The registration the API takes, built from the form. */
export const registrationOf = (draft: RegistrationDraft): WorkspaceRegistrationInput => ({
  displayName: draft.displayName,
  ...(draft.clientId.trim() ? { clientId: draft.clientId.trim() } : {}),
  airlock: {
    ...valuesOf(POLICY_FIELDS, draft.policy),
    gates: draft.gates.map((gate) => ({
      type: gate.type,
      ...valuesOf(gateFields(gate.type), gate.settings),
    })) as NonNullable<WorkspaceRegistrationInput["airlock"]>["gates"],
  },
  members: draft.members.map(({ id, name, email, roles }) => ({ id, name, email, roles: [...roles] })),
});

/** A complaint about one field, named by its dotted path from the body's root (as the API names it). */
export interface FieldIssue {
  readonly path: string;
  readonly message: string;
}

/** Zod's complaints in plain words, with the bounds the schema itself set. */
const plainWords = (issue: z.core.$ZodRawIssue): string | undefined => {
  const what = issue.origin;
  if (issue.code === "too_small") {
    const minimum = Number(issue.minimum);
    if (what === "string" && minimum === 1) return "required";
    if (what === "array") return `at least ${minimum} ${minimum === 1 ? "entry" : "entries"}`;
    if (what === "number") return `at least ${minimum}`;
  }
  if (issue.code === "too_big") {
    const maximum = Number(issue.maximum);
    if (what === "string") return `at most ${maximum} characters`;
    if (what === "array") return `at most ${maximum} entries`;
    if (what === "number") return `at most ${maximum}`;
  }
  if (issue.code === "invalid_type" && (issue.expected === "number" || issue.expected === "int")) {
    return issue.expected === "int" ? "a whole number" : "a number";
  }
  return undefined;
};

const issuesOf = (error: z.ZodError, prefix: readonly string[] = []): FieldIssue[] =>
  error.issues.map((issue) => ({
    path: [...prefix, ...issue.path.map(String)].join("."),
    message: issue.message,
  }));

/**
 * What the API would refuse in this draft, checked with the API's own schemas: the registration
 * body, and the workspace id of a new workspace (the path's id).
 */
export const validate = (draft: RegistrationDraft, isNew: boolean): FieldIssue[] => {
  const id = isNew ? WorkspaceSchema.shape.id.safeParse(draft.id, { error: plainWords }) : undefined;
  const body = WorkspaceRegistrationSchema.safeParse(registrationOf(draft), { error: plainWords });
  return [
    ...(id && !id.success ? issuesOf(id.error, ["id"]) : []),
    ...(body.success ? [] : issuesOf(body.error)),
  ];
};

/** The dotted paths the form shows a message next to; any other goes into the form's summary. */
export const fieldPaths = (draft: RegistrationDraft, isNew: boolean): ReadonlySet<string> =>
  new Set([
    ...(isNew ? ["id"] : []),
    "displayName",
    "clientId",
    ...POLICY_FIELDS.map(({ name }) => `airlock.${name}`),
    "airlock.gates",
    ...draft.gates.flatMap((gate, index) => [
      `airlock.gates.${index}`,
      `airlock.gates.${index}.type`,
      ...gateFields(gate.type).map(({ name }) => `airlock.gates.${index}.${name}`),
    ]),
    "members",
    ...draft.members.flatMap((_, index) =>
      ["id", "name", "email", "roles"].map((field) => `members.${index}.${field}`),
    ),
  ]);

export interface PlacedIssues {
  /** Messages by the field they are shown next to. */
  readonly byField: ReadonlyMap<string, readonly string[]>;
  /** Issues no field of the form shows, with their paths. */
  readonly elsewhere: readonly FieldIssue[];
}

/**
 * Puts each issue at the nearest field that holds it (`airlock.gates.0.allow.2`, one extension of
 * a list, at the list's field); an issue no field holds stays with its path for the summary.
 */
export const placeIssues = (issues: readonly FieldIssue[], paths: ReadonlySet<string>): PlacedIssues => {
  const byField = new Map<string, string[]>();
  const elsewhere: FieldIssue[] = [];
  for (const issue of issues) {
    const segments = issue.path.split(".");
    let field: string | undefined;
    for (let length = segments.length; length > 0 && field === undefined; length -= 1) {
      const candidate = segments.slice(0, length).join(".");
      if (paths.has(candidate)) field = candidate;
    }
    if (field === undefined) elsewhere.push(issue);
    else byField.set(field, [...(byField.get(field) ?? []), issue.message]);
  }
  return { byField, elsewhere };
};
