import type { Finding } from "@airlock/core";
import { makeStyles, Table, TableBody, TableCell, TableRow, Text, tokens } from "@fluentui/react-components";
import { useQuery } from "@tanstack/react-query";
import { useEffect, useMemo } from "react";
import { cellKey, cellOf, parseCsv } from "../preview/csv";
import { fileUrl } from "../upload/blocks";
import { Loading, ProblemMessage } from "./States";

/** The first bytes of a file are enough to look at it; the whole file is downloaded, not previewed. */
const PREVIEW_BYTES = 1024 * 1024;

const IMAGE_TYPES: Record<string, string> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
};
const TEXT_EXTENSIONS = new Set([
  "txt",
  "md",
  "log",
  "json",
  "tsv",
  "do",
  "r",
  "py",
  "sas",
  "sql",
  "yaml",
  "yml",
]);

const extensionOf = (name: string) => name.split(".").pop()?.toLowerCase() ?? "";

const useStyles = makeStyles({
  frame: { maxHeight: "420px", overflow: "auto", border: `1px solid ${tokens.colorNeutralStroke1}` },
  text: {
    margin: 0,
    padding: tokens.spacingHorizontalM,
    whiteSpace: "pre-wrap",
    fontFamily: tokens.fontFamilyMonospace,
  },
  flagged: {
    backgroundColor: tokens.colorPaletteYellowBackground2,
    outline: `2px solid ${tokens.colorPaletteDarkOrangeBorder2}`,
    fontWeight: tokens.fontWeightSemibold,
  },
  image: { maxWidth: "100%" },
});

/**
 * A look at one file through the request's link, in the browser and never by running it: CSV as a
 * table with the cells the gates flagged marked, text as text, images as images (from the bytes,
 * with an image type the console chooses). Other files are downloaded to be read.
 */
export const FilePreview = ({
  containerUrl,
  name,
  findings,
}: {
  containerUrl: string;
  name: string;
  findings: readonly Finding[];
}) => {
  const styles = useStyles();
  const extension = extensionOf(name);
  const image = IMAGE_TYPES[extension];
  const kind = image
    ? "image"
    : extension === "csv"
      ? "csv"
      : TEXT_EXTENSIONS.has(extension)
        ? "text"
        : "other";
  const content = useQuery({
    queryKey: ["preview", containerUrl, name],
    enabled: kind !== "other",
    queryFn: async (): Promise<{ readonly blob: Blob } | { readonly text: string }> => {
      const response = await fetch(fileUrl(containerUrl, name), {
        headers: image ? {} : { range: `bytes=0-${PREVIEW_BYTES - 1}` },
      });
      if (!response.ok) throw new Error(`the file could not be read (HTTP ${response.status})`);
      return image
        ? { blob: new Blob([await response.arrayBuffer()], { type: image }) }
        : { text: new TextDecoder().decode(await response.arrayBuffer()) };
    },
  });
  const imageUrl = useMemo(
    () => (content.data && "blob" in content.data ? URL.createObjectURL(content.data.blob) : undefined),
    [content.data],
  );
  useEffect(() => () => (imageUrl ? URL.revokeObjectURL(imageUrl) : undefined), [imageUrl]);
  const flagged = useMemo(
    () =>
      new Set(
        findings.flatMap((finding) => {
          const cell = cellOf(finding.location);
          return cell ? [cellKey(cell)] : [];
        }),
      ),
    [findings],
  );

  if (kind === "other") return <Text>No preview for this type of file; download it to read it.</Text>;
  if (content.isPending) return <Loading label={`Loading a preview of ${name}`} />;
  if (content.isError) return <ProblemMessage error={content.error} />;
  if (imageUrl) return <img className={styles.image} src={imageUrl} alt={`Preview of ${name}`} />;
  const text = "text" in content.data ? content.data.text : "";

  if (kind === "text") {
    return (
      <div className={styles.frame}>
        <pre className={styles.text}>{text}</pre>
      </div>
    );
  }
  const rows = parseCsv(text);
  return (
    <div className={styles.frame}>
      <Table size="small" aria-label={`Preview of ${name}`}>
        <TableBody>
          {rows.map((cells, rowIndex) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: rows of a file have no identity but their place
            <TableRow key={rowIndex}>
              {cells.map((cell, columnIndex) => {
                // The header is row 0: a finding's row 1 is the first row under it.
                const marked = flagged.has(cellKey({ row: rowIndex, column: columnIndex + 1 }));
                return (
                  <TableCell
                    // biome-ignore lint/suspicious/noArrayIndexKey: cells have no identity but their place
                    key={columnIndex}
                    className={marked ? styles.flagged : undefined}
                    aria-description={marked ? "flagged by a gate" : undefined}
                    data-flagged={marked ? "true" : undefined}
                  >
                    {cell}
                  </TableCell>
                );
              })}
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </div>
  );
};
