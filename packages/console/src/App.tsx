import { createBrowserRouter, Navigate, Outlet, RouterProvider } from "react-router";
import { Layout } from "./components/Layout";
import type { ConsoleConfig } from "./config";
import { AdminWorkspacesPage } from "./pages/AdminWorkspacesPage";
import { AuditPage } from "./pages/AuditPage";
import { HomePage } from "./pages/HomePage";
import { NewRequestPage } from "./pages/NewRequestPage";
import { NewWorkspacePage } from "./pages/NewWorkspacePage";
import { NotFoundPage } from "./pages/NotFoundPage";
import { RequestPage } from "./pages/RequestPage";
import { ReviewQueuePage } from "./pages/ReviewQueuePage";
import { SignInPage } from "./pages/SignInPage";
import { WorkspaceAdminPage } from "./pages/WorkspaceAdminPage";
import { WorkspacePage } from "./pages/WorkspacePage";
import { SessionProvider, useSession } from "./session";

/** Pages that need a signed-in person send everyone else to the sign-in page. */
const SignedIn = () => {
  const { identity } = useSession();
  return identity ? (
    <Layout>
      <Outlet />
    </Layout>
  ) : (
    <Navigate to="/sign-in" replace />
  );
};

const router = createBrowserRouter([
  { path: "/sign-in", element: <SignInPage /> },
  {
    element: <SignedIn />,
    children: [
      { path: "/", element: <HomePage /> },
      { path: "/review", element: <ReviewQueuePage /> },
      { path: "/workspaces/:ws", element: <WorkspacePage /> },
      { path: "/workspaces/:ws/new", element: <NewRequestPage /> },
      { path: "/workspaces/:ws/requests/:id", element: <RequestPage /> },
      { path: "/workspaces/:ws/requests/:id/audit", element: <AuditPage /> },
      { path: "/admin/workspaces", element: <AdminWorkspacesPage /> },
      { path: "/admin/workspaces/new", element: <NewWorkspacePage /> },
      { path: "/admin/workspaces/:ws", element: <WorkspaceAdminPage /> },
      { path: "/admin/workspaces/:ws/audit", element: <AuditPage /> },
      { path: "*", element: <NotFoundPage /> },
    ],
  },
]);

export const App = ({ config }: { config: ConsoleConfig }) => (
  <SessionProvider config={config}>
    <RouterProvider router={router} />
  </SessionProvider>
);
