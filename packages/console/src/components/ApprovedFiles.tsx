import { makeStyles, tokens } from "@fluentui/react-components";
import { useQuery } from "@tanstack/react-query";
import { asProblem } from "../api/problem";
import { useApi } from "../session";
import { fileUrl, listFiles } from "../upload/blocks";
import { Loading } from "./States";

const useStyles = makeStyles({ list: { margin: `${tokens.spacingVerticalM} 0` } });

/**
 * Downloads of an approved request's files, when the link table gives the caller a link (an
 * export's requester, an import's workspace members); otherwise nothing is shown.
 */
export const ApprovedFiles = ({ workspace, requestId }: { workspace: string; requestId: string }) => {
  const styles = useStyles();
  const api = useApi();
  const files = useQuery({
    queryKey: ["approved-files", workspace, requestId],
    queryFn: async () => {
      const { containerUrl } = await api.link(workspace, requestId);
      return (await listFiles(containerUrl)).map((file) => ({
        ...file,
        url: fileUrl(containerUrl, file.name),
      }));
    },
  });
  if (files.isPending) return <Loading label="Looking for a download link" />;
  // A refused link (403) means this person may not download: the page says nothing more.
  if (files.isError)
    return asProblem(files.error).status === 403 ? null : <p>The approved files cannot be listed now.</p>;
  return (
    <ul className={styles.list} aria-label="Approved files">
      {files.data.map((file) => (
        <li key={file.name}>
          <a href={file.url} download={file.name}>
            Download {file.name}
          </a>{" "}
          ({file.size} bytes)
        </li>
      ))}
    </ul>
  );
};
