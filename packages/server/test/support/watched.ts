import type { ChildProcess } from "node:child_process";

/** What a child process printed so far (stdout and stderr together), and its exit code or signal. */
export const watched = (child: ChildProcess) => {
  let output = "";
  const collect = (data: Buffer) => {
    output += data.toString("utf8");
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = new Promise<number | string>((resolve) =>
    child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown")),
  );
  return { output: () => output, exited };
};
