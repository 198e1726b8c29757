import { createBrowserRouter, Navigate, Outlet, RouterProvider, useLocation } from "react-router";
import { Layout } from "./components/Layout";
import type { ConsoleConfig } from "./config";
import { HomePage } from "./pages/HomePage";
import { NewRequestPage } from "./pages/NewRequestPage";
import { NotFoundPage } from "./pages/NotFoundPage";
import { RequestPage } from "./pages/RequestPage";
import { ReviewQueuePage } from "./pages/ReviewQueuePage";
import { SignInPage } from "./pages/SignInPage";
import { WorkspacePage } from "./pages/WorkspacePage";
import { SessionProvider, useSession } from "./session";

/**
 * Pages that need a signed-in person send everyone else to the sign-in page, which brings them
 * back here once they are signed in.
 */
const SignedIn = () => {
  const { identity } = useSession();
  const location = useLocation();
  return identity ? (
    <Layout>
      <Outlet />
    </Layout>
  ) : (
    <Navigate to="/sign-in" replace state={{ from: `${location.pathname}${location.search}` }} />
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
      { path: "*", element: <NotFoundPage /> },
    ],
  },
]);

export const App = ({ config }: { config: ConsoleConfig }) => (
  <SessionProvider config={config}>
    <RouterProvider router={router} />
  </SessionProvider>
);
