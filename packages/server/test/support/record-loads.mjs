// Loaded with `node --import`: appends the URL of every module the process loads (ES modules and
// require()d CommonJS alike) to the file AIRLOCK_TEST_LOADED_MODULES names.
import { appendFileSync } from "node:fs";
import { registerHooks } from "node:module";

const file = process.env.AIRLOCK_TEST_LOADED_MODULES;
if (!file) throw new Error("AIRLOCK_TEST_LOADED_MODULES must name the file to write to");
registerHooks({
  load(url, context, nextLoad) {
    appendFileSync(file, `${url}\n`);
    return nextLoad(url, context);
  },
});
