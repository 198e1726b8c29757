import {
  describeBytes,
  type FileToUpload,
  type UploadProblem,
  type UploadRules,
  uploadProblems,
} from "@airlock/core";
import {
  Button,
  Field,
  MessageBar,
  MessageBarBody,
  MessageBarTitle,
  makeStyles,
  ProgressBar,
  Text,
  tokens,
} from "@fluentui/react-components";
import { useRef, useState } from "react";
import { uploadFile } from "../upload/blocks";

interface Upload {
  readonly name: string;
  readonly size: number;
  sent: number;
  state: "waiting" | "sending" | "done" | "failed";
  error?: string;
}

const useStyles = makeStyles({
  root: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalM },
  hidden: { display: "none" },
  problems: { margin: 0, paddingLeft: tokens.spacingHorizontalXL },
});

/** The workspace's rules in a sentence, so a person knows them before choosing. */
const rulesText = (rules: UploadRules): string =>
  [
    `Up to ${rules.maxFiles} file${rules.maxFiles === 1 ? "" : "s"} per request, each up to ${describeBytes(rules.maxFileSize)}`,
    rules.maxRequestBytes === null ? undefined : `${describeBytes(rules.maxRequestBytes)} in all`,
    rules.allowedExtensions === null
      ? undefined
      : `accepted: ${rules.allowedExtensions.map((extension) => `.${extension}`).join(", ")}`,
  ]
    .filter(Boolean)
    .join("; ")
    .concat(".");

/**
 * Chooses several files and uploads them one after the other through the request's link, each with
 * its own progress bar. `linkOf` asks for a fresh link (links expire). With the workspace's upload
 * rules, chosen files are checked first, against them and the files the request already `holds`:
 * when any would be refused, nothing is sent and the person is told why.
 */
export const Uploader = ({
  linkOf,
  onUploaded,
  rules,
  holds = [],
}: {
  linkOf: () => Promise<string>;
  onUploaded: () => void;
  rules?: UploadRules | undefined;
  holds?: readonly FileToUpload[] | undefined;
}) => {
  const styles = useStyles();
  const input = useRef<HTMLInputElement>(null);
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [refused, setRefused] = useState<UploadProblem[]>([]);
  const [busy, setBusy] = useState(false);

  const choose = (files: File[]) => {
    const problems = rules
      ? uploadProblems(
          rules,
          files.map((file) => ({ name: file.name, size: file.size })),
          holds,
        )
      : [];
    setRefused(problems);
    if (problems.length === 0) void start(files);
    else setUploads([]);
  };

  const start = async (files: File[]) => {
    const items: Upload[] = files.map((file) => ({
      name: file.name,
      size: file.size,
      sent: 0,
      state: "waiting",
    }));
    setUploads(items);
    setBusy(true);
    const refresh = () => setUploads([...items]);
    try {
      const containerUrl = await linkOf();
      for (const [index, file] of files.entries()) {
        const item = items[index]!;
        item.state = "sending";
        refresh();
        try {
          await uploadFile({
            containerUrl,
            file,
            onProgress: (sent) => {
              item.sent = sent;
              refresh();
            },
          });
          item.state = "done";
          item.sent = file.size;
        } catch (error) {
          item.state = "failed";
          item.error = error instanceof Error ? error.message : String(error);
        }
        refresh();
      }
    } catch (error) {
      for (const item of items) {
        item.state = "failed";
        item.error = error instanceof Error ? error.message : String(error);
      }
      refresh();
    } finally {
      setBusy(false);
      onUploaded();
    }
  };

  return (
    <div className={styles.root}>
      <input
        ref={input}
        className={styles.hidden}
        type="file"
        multiple
        aria-label="Files to upload"
        onChange={(event) => {
          const files = [...(event.target.files ?? [])];
          event.target.value = "";
          if (files.length > 0) choose(files);
        }}
      />
      <div>
        <Button appearance="primary" disabled={busy} onClick={() => input.current?.click()}>
          Upload files
        </Button>
      </div>
      {rules && <Text size={200}>{rulesText(rules)}</Text>}
      {refused.length > 0 && (
        <MessageBar intent="warning" role="alert">
          <MessageBarBody>
            <MessageBarTitle>Nothing was sent</MessageBarTitle>
            This workspace would not accept these files:
            <ul className={styles.problems}>
              {refused.map((problem) => (
                <li key={`${problem.file}:${problem.message}`}>
                  {problem.file === null ? problem.message : `${problem.file} ${problem.message}`}
                </li>
              ))}
            </ul>
          </MessageBarBody>
        </MessageBar>
      )}
      {uploads.map((upload) => (
        <Field
          key={upload.name}
          label={`${upload.name} (${describeBytes(upload.size)})`}
          validationState={upload.state === "failed" ? "error" : upload.state === "done" ? "success" : "none"}
          validationMessage={
            upload.state === "failed" ? upload.error : upload.state === "done" ? "Uploaded" : undefined
          }
        >
          <ProgressBar
            value={upload.size === 0 ? (upload.state === "done" ? 1 : 0) : upload.sent / upload.size}
            aria-label={`Upload of ${upload.name}`}
          />
        </Field>
      ))}
      {uploads.length > 0 && busy && <Text>Uploading…</Text>}
    </div>
  );
};
