// Loaded with `node --import`: lets a child process run this repository's TypeScript sources as
// they are (Node strips the types): `@airlock/core` resolves to its source, and a relative `.js`
// import from a `.ts` file to the `.ts` file beside it.
import { existsSync } from "node:fs";
import { registerHooks } from "node:module";
import { fileURLToPath } from "node:url";

const coreSource = new URL("../../../core/src/index.ts", import.meta.url).href;

registerHooks({
  resolve(specifier, context, nextResolve) {
    if (specifier === "@airlock/core")
      return { url: coreSource, format: "module-typescript", shortCircuit: true };
    if (specifier.startsWith(".") && specifier.endsWith(".js") && context.parentURL?.endsWith(".ts")) {
      const source = new URL(specifier.replace(/\.js$/, ".ts"), context.parentURL);
      if (existsSync(fileURLToPath(source))) return { url: source.href, shortCircuit: true };
    }
    return nextResolve(specifier, context);
  },
});
