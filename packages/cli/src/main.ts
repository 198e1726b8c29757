#!/usr/bin/env node
import { run } from "./program.js";

// The exit code is set rather than forced, so pending output (a JSON answer into a pipe) is flushed.
process.exitCode = await run(process.argv.slice(2));
