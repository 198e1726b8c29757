import {
  makeStyles,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Title1,
  tokens,
} from "@fluentui/react-components";
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { adminWorkspacePath } from "../admin/paths";
import { Empty, Loading, ProblemMessage } from "../components/States";
import { useApi } from "../session";

const useStyles = makeStyles({
  bar: {
    display: "flex",
    alignItems: "center",
    justifyContent: "space-between",
    margin: `${tokens.spacingVerticalL} 0`,
  },
});

/** Every registered workspace (TRE admins): each opens its registration and policy. */
export const AdminWorkspacesPage = () => {
  const styles = useStyles();
  const api = useApi();
  const list = useQuery({ queryKey: ["workspaces"], queryFn: () => api.myWorkspaces() });

  return (
    <>
      <Title1 as="h1">Workspaces</Title1>
      <div className={styles.bar}>
        <span>Registered workspaces, their airlock policy and members.</span>
        <Link to="/admin/workspaces/new">New workspace</Link>
      </div>
      {list.isPending ? (
        <Loading label="Loading workspaces" />
      ) : list.isError ? (
        <ProblemMessage error={list.error} retry={() => void list.refetch()} />
      ) : list.data.workspaces.length === 0 ? (
        <Empty title="No workspace is registered yet">Create one with "New workspace".</Empty>
      ) : (
        <Table aria-label="Workspaces">
          <TableHeader>
            <TableRow>
              <TableHeaderCell>Display name</TableHeaderCell>
              <TableHeaderCell>Id</TableHeaderCell>
              <TableHeaderCell>Client id</TableHeaderCell>
              <TableHeaderCell>Your roles there</TableHeaderCell>
            </TableRow>
          </TableHeader>
          <TableBody>
            {list.data.workspaces.map((workspace) => (
              <TableRow key={workspace.id}>
                <TableCell>
                  <Link to={adminWorkspacePath(workspace.id)}>{workspace.displayName}</Link>
                </TableCell>
                <TableCell>{workspace.id}</TableCell>
                <TableCell>{workspace.clientId}</TableCell>
                <TableCell>{workspace.roles.length > 0 ? workspace.roles.join(", ") : "none"}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </>
  );
};
