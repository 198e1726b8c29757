import type { Finding, PublicRequest } from "@airlock/core";
import {
  Badge,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
} from "@fluentui/react-components";

const verdictColour = (verdict: Finding["verdict"]) =>
  verdict === "fail" ? "danger" : verdict === "review" ? "warning" : "success";

/** What the gates found in one file this turn, as the API shows it to the caller. */
const Findings = ({ findings }: { findings: readonly Finding[] }) =>
  findings.length === 0 ? (
    <>No findings</>
  ) : (
    <ul>
      {findings.map((finding) => (
        <li key={`${finding.gate}:${finding.location ?? ""}:${finding.message}`}>
          <Badge appearance="tint" color={verdictColour(finding.verdict)}>
            {finding.gate}: {finding.verdict}
          </Badge>{" "}
          {finding.message}
          {finding.location ? ` (at ${finding.location})` : ""}
        </li>
      ))}
    </ul>
  );

/** The files recorded at the last submit, their state, and the gates' findings of that turn. */
export const RecordedFiles = ({ request }: { request: PublicRequest }) => {
  if (request.files.length === 0) return null;
  const findingsOf = (name: string) =>
    request.findings.filter((finding) => finding.file === name && finding.turn === request.turn);
  return (
    <Table aria-label="Files recorded at the last submit">
      <TableHeader>
        <TableRow>
          <TableHeaderCell>Submitted file</TableHeaderCell>
          <TableHeaderCell>Size (bytes)</TableHeaderCell>
          <TableHeaderCell>State</TableHeaderCell>
          <TableHeaderCell>Findings</TableHeaderCell>
        </TableRow>
      </TableHeader>
      <TableBody>
        {request.files.map((file) => (
          <TableRow key={file.name}>
            <TableCell>{file.name}</TableCell>
            <TableCell>{file.size}</TableCell>
            <TableCell>{file.state}</TableCell>
            <TableCell>
              <Findings findings={findingsOf(file.name)} />
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
};
