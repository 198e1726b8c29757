import { Link } from "react-router";
import { Empty } from "../components/States";

export const NotFoundPage = () => (
  <Empty title="There is no page here">
    <Link to="/">Back to the start</Link>
  </Empty>
);
