import {
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
} from "@fluentui/react-components";
import { Link } from "react-router";
import type { RequestView } from "../api/client";
import { StatusBadge } from "./StatusBadge";

export const dateOf = (epochSeconds: number): string => new Date(epochSeconds * 1000).toLocaleString();

/** Requests as rows; each title opens the request. */
export const RequestTable = ({
  views,
  showWorkspace,
}: {
  views: readonly RequestView[];
  showWorkspace?: boolean;
}) => (
  <Table aria-label="Requests">
    <TableHeader>
      <TableRow>
        <TableHeaderCell>Title</TableHeaderCell>
        {showWorkspace && <TableHeaderCell>Workspace</TableHeaderCell>}
        <TableHeaderCell>Type</TableHeaderCell>
        <TableHeaderCell>Status</TableHeaderCell>
        <TableHeaderCell>Requester</TableHeaderCell>
        <TableHeaderCell>Updated</TableHeaderCell>
      </TableRow>
    </TableHeader>
    <TableBody>
      {views.map(({ airlockRequest: request }) => (
        <TableRow key={request.id}>
          <TableCell>
            <Link
              to={`/workspaces/${encodeURIComponent(request.workspaceId)}/requests/${encodeURIComponent(request.id)}`}
            >
              {request.title}
            </Link>
          </TableCell>
          {showWorkspace && <TableCell>{request.workspaceId}</TableCell>}
          <TableCell>{request.type}</TableCell>
          <TableCell>
            <StatusBadge status={request.status} />
          </TableCell>
          <TableCell>{request.createdBy.name}</TableCell>
          <TableCell>{dateOf(request.updatedWhen)}</TableCell>
        </TableRow>
      ))}
    </TableBody>
  </Table>
);
