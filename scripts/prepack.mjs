// Runs before a package is packed (its `prepack` script, in the package's folder): a clean build,
// so a tarball never ships output of a source file that no longer exists, and the license.
import { execFileSync } from "node:child_process";
import { copyFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";

const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
rmSync("dist", { recursive: true, force: true });
execFileSync(process.execPath, [tsc, "-b"], { stdio: "inherit" });
copyFileSync(new URL("../LICENSE", import.meta.url), "LICENSE");
