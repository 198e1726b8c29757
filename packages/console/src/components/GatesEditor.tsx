import type { GateType } from "@airlock/core";
import { Button, Field, makeStyles, Select, Text, tokens } from "@fluentui/react-components";
import { useState } from "react";
import { GATE_NAMES } from "../admin/labels";
import { GATE_TYPES, type GateDraft, gateFields, newGate } from "../admin/registration";
import { useFocusOnAdded } from "./focusAdded";
import { messageOf, SettingField } from "./SettingField";

const useStyles = makeStyles({
  list: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalM, padding: 0, margin: 0 },
  gate: {
    listStyleType: "none",
    border: `1px solid ${tokens.colorNeutralStroke1}`,
    borderRadius: tokens.borderRadiusMedium,
    padding: tokens.spacingHorizontalM,
  },
  fieldset: {
    border: "none",
    margin: 0,
    padding: 0,
    display: "flex",
    flexDirection: "column",
    gap: tokens.spacingVerticalS,
  },
  legend: { fontWeight: tokens.fontWeightSemibold, padding: 0, marginBottom: tokens.spacingVerticalS },
  buttons: { display: "flex", gap: tokens.spacingHorizontalS, marginTop: tokens.spacingVerticalS },
  add: {
    display: "flex",
    alignItems: "flex-end",
    gap: tokens.spacingHorizontalM,
    marginTop: tokens.spacingVerticalM,
  },
  error: { color: tokens.colorPaletteRedForeground1 },
});

const moved = <T,>(items: readonly T[], from: number, to: number): T[] => {
  const next = [...items];
  const [item] = next.splice(from, 1);
  if (item !== undefined) next.splice(to, 0, item);
  return next;
};

/**
 * The policy's gates in the order they run: each with its settings, moved up or down, removed;
 * and a gate of any type added at the end.
 */
export const GatesEditor = ({
  gates,
  messageAt,
  onChange,
}: {
  gates: readonly GateDraft[];
  messageAt: (path: string) => readonly string[] | undefined;
  onChange: (gates: readonly GateDraft[]) => void;
}) => {
  const styles = useStyles();
  const [adding, setAdding] = useState<GateType>(GATE_TYPES[0] ?? "malware");
  const update = (index: number, gate: GateDraft) => onChange(gates.map((g, i) => (i === index ? gate : g)));
  const listMessage = messageOf(messageAt("airlock.gates"));
  const listRef = useFocusOnAdded(gates.length);

  return (
    <>
      {gates.length === 0 ? (
        <Text block>
          No gates: files go to the reviewers as they are (with a malware scan when scanning is on).
        </Text>
      ) : (
        <ol
          className={styles.list}
          aria-label="Gates in the order they run"
          ref={(element) => {
            listRef.current = element;
          }}
        >
          {gates.map((gate, index) => {
            const name = GATE_NAMES[gate.type];
            const gateMessage = messageOf([
              ...(messageAt(`airlock.gates.${index}`) ?? []),
              ...(messageAt(`airlock.gates.${index}.type`) ?? []),
            ]);
            return (
              <li key={gate.key} className={styles.gate}>
                <fieldset className={styles.fieldset}>
                  <legend className={styles.legend}>
                    Gate {index + 1}: {name}
                  </legend>
                  {gateMessage && (
                    <Text className={styles.error} role="alert">
                      {gateMessage}
                    </Text>
                  )}
                  {gateFields(gate.type).map((spec) => (
                    <SettingField
                      key={spec.name}
                      spec={spec}
                      value={gate.settings[spec.name] ?? ""}
                      messages={messageAt(`airlock.gates.${index}.${spec.name}`)}
                      onChange={(value) =>
                        update(index, { ...gate, settings: { ...gate.settings, [spec.name]: String(value) } })
                      }
                    />
                  ))}
                  {gateFields(gate.type).length === 0 && <Text>No settings.</Text>}
                </fieldset>
                <div className={styles.buttons}>
                  <Button
                    size="small"
                    disabled={index === 0}
                    aria-label={`Move up the ${name} gate`}
                    onClick={() => onChange(moved(gates, index, index - 1))}
                  >
                    Move up
                  </Button>
                  <Button
                    size="small"
                    disabled={index === gates.length - 1}
                    aria-label={`Move down the ${name} gate`}
                    onClick={() => onChange(moved(gates, index, index + 1))}
                  >
                    Move down
                  </Button>
                  <Button
                    size="small"
                    aria-label={`Remove the ${name} gate`}
                    onClick={() => onChange(gates.filter((_, i) => i !== index))}
                  >
                    Remove
                  </Button>
                </div>
              </li>
            );
          })}
        </ol>
      )}
      {listMessage && (
        <Text className={styles.error} role="alert" block>
          {listMessage}
        </Text>
      )}
      <div className={styles.add}>
        <Field label="Gate type">
          <Select value={adding} onChange={(_, data) => setAdding(data.value as GateType)}>
            {GATE_TYPES.map((type) => (
              <option key={type} value={type}>
                {GATE_NAMES[type]}
              </option>
            ))}
          </Select>
        </Field>
        <Button onClick={() => onChange([...gates, newGate(adding)])}>Add gate</Button>
      </div>
    </>
  );
};
