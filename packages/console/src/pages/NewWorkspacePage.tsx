import { Body1, Title1 } from "@fluentui/react-components";
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate } from "react-router";
import { adminWorkspacePath } from "../admin/paths";
import { emptyDraft, type RegistrationDraft, registrationOf } from "../admin/registration";
import { ProblemError } from "../api/problem";
import { WorkspaceForm } from "../components/WorkspaceForm";
import { useApi } from "../session";

/** Registering a workspace (TRE admins); an id already registered is never replaced from here. */
export const NewWorkspacePage = () => {
  const api = useApi();
  const navigate = useNavigate();
  const [initial] = useState(emptyDraft);
  const create = useMutation({
    mutationFn: async (draft: RegistrationDraft) => {
      const id = draft.id.trim();
      // The API's PUT replaces a workspace of that id: a new workspace must not land on one.
      const existing = await api.workspace(id).then(
        () => true,
        (error: unknown) => {
          if (error instanceof ProblemError && error.problem.status === 404) return false;
          throw error;
        },
      );
      if (existing) {
        throw new ProblemError({
          title: "This id is taken",
          status: 409,
          errors: [{ path: "id", message: `a workspace with the id ${id} is registered already` }],
        });
      }
      return api.registerWorkspace(id, registrationOf(draft));
    },
    onSuccess: (saved) => navigate(adminWorkspacePath(saved.id), { state: { created: true } }),
  });

  return (
    <>
      <Title1 as="h1">New workspace</Title1>
      <Body1 block>
        <Link to="/admin/workspaces">All workspaces</Link>
      </Body1>
      <WorkspaceForm
        initial={initial}
        isNew
        saving={create.isPending}
        error={create.error}
        onSave={(draft) => create.mutate(draft)}
      />
    </>
  );
};
