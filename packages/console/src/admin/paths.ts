const segment = encodeURIComponent;

/** The console's own paths of the admin and audit pages. */
export const adminWorkspacePath = (workspace: string) => `/admin/workspaces/${segment(workspace)}`;
export const workspaceAuditPath = (workspace: string) => `${adminWorkspacePath(workspace)}/audit`;
export const requestAuditPath = (workspace: string, id: string) =>
  `/workspaces/${segment(workspace)}/requests/${segment(id)}/audit`;
