import type { Command } from "commander";

/** Adds an "Examples:" section to a command's --help. */
export const withExamples = (command: Command, examples: readonly string[]): Command =>
  command.addHelpText("after", `\nExamples:\n${examples.map((example) => `  $ ${example}`).join("\n")}\n`);

/** Collects a repeatable option's values. */
export const collect = (value: string, previous: readonly string[] = []): string[] => [...previous, value];
