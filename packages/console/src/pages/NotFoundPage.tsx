import { Title1 } from "@fluentui/react-components";
import { Link } from "react-router";
import { Empty } from "../components/States";

/** A path the console has no page for. */
export const NotFoundPage = () => (
  <>
    <Title1 as="h1">Page not found</Title1>
    <Empty title="There is no page here">
      <Link to="/">Back to the start</Link>
    </Empty>
  </>
);
