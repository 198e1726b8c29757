import type { PublicRequest } from "@airlock/core";
import {
  Button,
  makeStyles,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  tokens,
} from "@fluentui/react-components";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useApi } from "../session";
import { listFiles } from "../upload/blocks";
import { Empty, Loading, ProblemMessage } from "./States";
import { Uploader } from "./Uploader";

const useStyles = makeStyles({
  root: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalM },
});

/**
 * The draft's files, as the request's link lists them, with uploads and a withdraw per file: where
 * the requester (who alone holds the draft's link) works before a submit and after changes were requested (a new upload of the same
 * name replaces the file).
 */
export const DraftFiles = ({
  workspace,
  request,
  onChange,
}: {
  workspace: string;
  request: PublicRequest;
  onChange: () => void;
}) => {
  const styles = useStyles();
  const api = useApi();
  const queryClient = useQueryClient();
  const key = ["draft-files", workspace, request.id];
  const linkOf = async () => (await api.link(workspace, request.id)).containerUrl;
  const files = useQuery({ queryKey: key, queryFn: async () => listFiles(await linkOf()) });
  // Checked before sending; without them (a failed read) the engine still judges every upload.
  const rules = useQuery({
    queryKey: ["upload-rules", workspace],
    queryFn: () => api.uploadRules(workspace),
    staleTime: 60_000,
  });
  const changed = () => {
    void queryClient.invalidateQueries({ queryKey: key });
    onChange();
  };
  const withdraw = useMutation({
    mutationFn: (name: string) => api.withdraw(workspace, request.id, name),
    onSuccess: changed,
  });

  return (
    <div className={styles.root}>
      <Uploader linkOf={linkOf} onUploaded={changed} rules={rules.data} holds={files.data} />
      {files.isPending ? (
        <Loading label="Loading the draft's files" />
      ) : files.isError ? (
        <ProblemMessage error={files.error} retry={() => void files.refetch()} />
      ) : files.data.length === 0 ? (
        <Empty title="No files uploaded yet">Upload the files this request should carry.</Empty>
      ) : (
        <Table aria-label="Files in the draft">
          <TableHeader>
            <TableRow>
              <TableHeaderCell>Name</TableHeaderCell>
              <TableHeaderCell>Size (bytes)</TableHeaderCell>
              <TableHeaderCell>Action</TableHeaderCell>
            </TableRow>
          </TableHeader>
          <TableBody>
            {files.data.map((file) => (
              <TableRow key={file.name}>
                <TableCell>{file.name}</TableCell>
                <TableCell>{file.size}</TableCell>
                <TableCell>
                  <Button
                    size="small"
                    disabled={withdraw.isPending}
                    onClick={() => withdraw.mutate(file.name)}
                    aria-label={`Withdraw ${file.name}`}
                  >
                    Withdraw
                  </Button>
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      {withdraw.isError && <ProblemMessage error={withdraw.error} />}
    </div>
  );
};
