import { type WorkspaceRole, WorkspaceRoleSchema } from "@airlock/core";
import { Button, Checkbox, Field, Input, makeStyles, Text, tokens } from "@fluentui/react-components";
import { type MemberDraft, newMember } from "../admin/registration";
import { useFocusOnAdded } from "./focusAdded";
import { messageOf } from "./SettingField";

const ROLES: readonly WorkspaceRole[] = WorkspaceRoleSchema.options;

const useStyles = makeStyles({
  list: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalM, padding: 0, margin: 0 },
  member: {
    listStyleType: "none",
    border: `1px solid ${tokens.colorNeutralStroke1}`,
    borderRadius: tokens.borderRadiusMedium,
    padding: tokens.spacingHorizontalM,
  },
  fieldset: { border: "none", margin: 0, padding: 0 },
  legend: { fontWeight: tokens.fontWeightSemibold, padding: 0, marginBottom: tokens.spacingVerticalS },
  row: { display: "flex", flexWrap: "wrap", gap: tokens.spacingHorizontalM },
  roles: { border: "none", margin: `${tokens.spacingVerticalS} 0 0`, padding: 0 },
  error: { color: tokens.colorPaletteRedForeground1 },
  buttons: { marginTop: tokens.spacingVerticalS, alignSelf: "flex-start" },
});

/** The workspace's members: who they are, and their roles in the workspace. */
export const MembersEditor = ({
  members,
  messageAt,
  onChange,
}: {
  members: readonly MemberDraft[];
  messageAt: (path: string) => readonly string[] | undefined;
  onChange: (members: readonly MemberDraft[]) => void;
}) => {
  const styles = useStyles();
  const update = (index: number, member: MemberDraft) =>
    onChange(members.map((m, i) => (i === index ? member : m)));
  const listMessage = messageOf(messageAt("members"));
  const listRef = useFocusOnAdded(members.length);

  return (
    <>
      {members.length === 0 ? (
        <Text block>No members yet: add the workspace's researchers, owners and airlock managers.</Text>
      ) : (
        <ul
          className={styles.list}
          aria-label="Members"
          ref={(element) => {
            listRef.current = element;
          }}
        >
          {members.map((member, index) => {
            const at = (field: string) => messageAt(`members.${index}.${field}`);
            const rolesMessage = messageOf(at("roles"));
            const who = `member ${index + 1}`;
            return (
              <li key={member.key} className={styles.member}>
                <fieldset className={styles.fieldset}>
                  <legend className={styles.legend}>Member {index + 1}</legend>
                  <div className={styles.row}>
                    <Field label="User id" required validationMessage={messageOf(at("id"))}>
                      <Input
                        value={member.id}
                        onChange={(_, data) => update(index, { ...member, id: data.value })}
                      />
                    </Field>
                    <Field label="Name" required validationMessage={messageOf(at("name"))}>
                      <Input
                        value={member.name}
                        onChange={(_, data) => update(index, { ...member, name: data.value })}
                      />
                    </Field>
                    <Field label="Email" validationMessage={messageOf(at("email"))}>
                      <Input
                        type="email"
                        value={member.email}
                        onChange={(_, data) => update(index, { ...member, email: data.value })}
                      />
                    </Field>
                  </div>
                  <fieldset className={styles.roles}>
                    <legend>Roles of {who}</legend>
                    {ROLES.map((role) => (
                      <Checkbox
                        key={role}
                        label={role}
                        checked={member.roles.includes(role)}
                        onChange={(_, data) =>
                          update(index, {
                            ...member,
                            roles:
                              data.checked === true
                                ? [...member.roles, role]
                                : member.roles.filter((r) => r !== role),
                          })
                        }
                      />
                    ))}
                    {rolesMessage && (
                      <Text className={styles.error} role="alert" block>
                        {rolesMessage}
                      </Text>
                    )}
                  </fieldset>
                </fieldset>
                <Button
                  className={styles.buttons}
                  size="small"
                  aria-label={`Remove ${who}${member.id ? ` (${member.id})` : ""}`}
                  onClick={() => onChange(members.filter((_, i) => i !== index))}
                >
                  Remove
                </Button>
              </li>
            );
          })}
        </ul>
      )}
      {listMessage && (
        <Text className={styles.error} role="alert" block>
          {listMessage}
        </Text>
      )}
      <Button className={styles.buttons} onClick={() => onChange([...members, newMember()])}>
        Add member
      </Button>
    </>
  );
};
