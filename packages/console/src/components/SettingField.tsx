import { describeBytes } from "@airlock/core";
import { Checkbox, Field, Input } from "@fluentui/react-components";
import { labelOf } from "../admin/labels";
import type { FieldSpec } from "../admin/registration";

/** Field messages as Fluent shows them: one line per message. */
export const messageOf = (messages: readonly string[] | undefined): string | undefined =>
  messages && messages.length > 0 ? messages.join("; ") : undefined;

const hintOf = (spec: FieldSpec, value: string | boolean): string | undefined => {
  const { hint, bytes } = labelOf(spec.name);
  const number = typeof value === "string" && value.trim() !== "" ? Number(value) : Number.NaN;
  const size = bytes && Number.isInteger(number) && number > 0 ? describeBytes(number) : undefined;
  return [size, hint].filter(Boolean).join(". ") || undefined;
};

/** One setting of a policy or a gate: a checkbox for a yes/no, a text box for a number or a list. */
export const SettingField = ({
  spec,
  value,
  messages,
  onChange,
}: {
  spec: FieldSpec;
  value: string | boolean;
  messages: readonly string[] | undefined;
  onChange: (value: string | boolean) => void;
}) => {
  const { label } = labelOf(spec.name);
  const message = messageOf(messages);
  return (
    <Field
      label={spec.kind === "boolean" ? undefined : label}
      hint={hintOf(spec, value)}
      validationMessage={message}
    >
      {spec.kind === "boolean" ? (
        <Checkbox
          label={label}
          checked={value === true}
          onChange={(_, data) => onChange(data.checked === true)}
        />
      ) : (
        <Input
          value={String(value)}
          inputMode={spec.kind === "number" ? "numeric" : "text"}
          onChange={(_, data) => onChange(data.value)}
        />
      )}
    </Field>
  );
};
