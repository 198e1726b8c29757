import type { RequestStatus } from "@airlock/core";
import { Badge, type BadgeProps } from "@fluentui/react-components";

const colour = (status: RequestStatus): BadgeProps["color"] => {
  switch (status) {
    case "approved":
      return "success";
    case "rejected":
    case "blocked_by_scan":
    case "failed":
    case "revoked":
      return "danger";
    case "changes_requested":
      return "warning";
    case "draft":
    case "cancelled":
      return "informative";
    default:
      return "brand";
  }
};

/** A status in words (`in_review` reads "in review"). */
export const statusText = (status: string): string => status.replaceAll("_", " ");

export const StatusBadge = ({ status }: { status: RequestStatus }) => (
  <Badge appearance="tint" color={colour(status)}>
    {statusText(status)}
  </Badge>
);
