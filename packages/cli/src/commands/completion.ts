import type { Command, Option } from "commander";
import { CliError, EXIT } from "../errors.js";
import { withExamples } from "./examples.js";

/** A command as completion sees it: its name, what it does, its options and subcommands. */
interface Shape {
  readonly name: string;
  readonly description: string;
  readonly options: readonly { readonly flags: readonly string[]; readonly description: string }[];
  readonly subcommands: readonly Shape[];
}

const flagsOf = (option: Option) =>
  [option.short, option.long].filter((flag): flag is string => Boolean(flag));

/** Reads the parser's own definitions, so completion never lags behind the commands. */
const shapeOf = (command: Command, globals: readonly Option[]): Shape => ({
  name: command.name(),
  description: command.description(),
  options: [
    ...command.options,
    ...globals,
    { short: "-h", long: "--help", description: "help" } as Option,
  ].map((option) => ({ flags: flagsOf(option), description: option.description })),
  subcommands: command.commands.map((sub) => shapeOf(sub, globals)),
});

const quote = (text: string) => text.replace(/'/g, "'\\''");

export const bashCompletion = (root: Shape): string => {
  const cases = root.subcommands
    .map((command) => {
      const words = [
        ...command.subcommands.map((sub) => sub.name),
        ...command.options.flatMap((o) => o.flags),
      ];
      return `    ${command.name}) words='${quote(words.join(" "))}' ;;`;
    })
    .join("\n");
  return `# airlock completion for bash: source <(airlock completion bash)
_airlock() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" words
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=( $(compgen -W '${quote(root.subcommands.map((c) => c.name).join(" "))}' -- "$cur") )
    return
  fi
  case "\${COMP_WORDS[1]}" in
${cases}
    *) words='' ;;
  esac
  if [[ "$cur" == -* || "$COMP_CWORD" -eq 2 ]]; then
    COMPREPLY=( $(compgen -W "$words" -- "$cur") )
  fi
  [ \${#COMPREPLY[@]} -eq 0 ] && COMPREPLY=( $(compgen -f -- "$cur") )
}
complete -o default -F _airlock airlock
`;
};

const zshEscape = (text: string) =>
  text.replace(/'/g, "'\\''").replace(/:/g, "\\:").replace(/\[/g, "\\[").replace(/\]/g, "\\]");

export const zshCompletion = (root: Shape): string => {
  const cases = root.subcommands
    .map((command) => {
      const options = command.options
        .flatMap((option) => option.flags.map((flag) => `'${flag}[${zshEscape(option.description)}]'`))
        .join(" ");
      const subs = command.subcommands.map((sub) => `'${sub.name}:${zshEscape(sub.description)}'`).join(" ");
      return `    ${command.name}) ${subs ? `local -a subs; subs=(${subs}); _describe 'subcommand' subs; ` : ""}_arguments ${options} '*:file:_files' ;;`;
    })
    .join("\n");
  return `#compdef airlock
# airlock completion for zsh: airlock completion zsh > "\${fpath[1]}/_airlock"
_airlock() {
  local -a commands
  commands=(${root.subcommands.map((c) => `'${c.name}:${zshEscape(c.description)}'`).join(" ")})
  if (( CURRENT == 2 )); then
    _describe 'command' commands
    return
  fi
  case "$words[2]" in
${cases}
  esac
}
compdef _airlock airlock
`;
};

const fishEscape = (text: string) => text.replace(/'/g, "\\'");

export const fishCompletion = (root: Shape): string => {
  const lines = [
    "# airlock completion for fish: airlock completion fish > ~/.config/fish/completions/airlock.fish",
    "complete -c airlock -f",
    ...root.subcommands.map(
      (command) =>
        `complete -c airlock -n '__fish_use_subcommand' -a ${command.name} -d '${fishEscape(command.description)}'`,
    ),
  ];
  for (const command of root.subcommands) {
    const when = `__fish_seen_subcommand_from ${command.name}`;
    for (const sub of command.subcommands) {
      lines.push(`complete -c airlock -n '${when}' -a ${sub.name} -d '${fishEscape(sub.description)}'`);
    }
    for (const option of command.options) {
      const long = option.flags.find((flag) => flag.startsWith("--"))?.slice(2);
      const short = option.flags.find((flag) => /^-[^-]$/.test(flag))?.slice(1);
      lines.push(
        `complete -c airlock -n '${when}'${long ? ` -l ${long}` : ""}${short ? ` -s ${short}` : ""} -d '${fishEscape(option.description)}'`,
      );
    }
    lines.push(`complete -c airlock -n '${when}' -F`);
  }
  return `${lines.join("\n")}\n`;
};

export const registerCompletion = (program: Command) => {
  withExamples(
    program
      .command("completion")
      .description("print a shell completion script (bash, zsh or fish)")
      .argument("<shell>", "bash, zsh or fish")
      .action((shell: string) => {
        const root = shapeOf(program, program.options);
        const script =
          shell === "bash"
            ? bashCompletion(root)
            : shell === "zsh"
              ? zshCompletion(root)
              : shell === "fish"
                ? fishCompletion(root)
                : undefined;
        if (script === undefined)
          throw new CliError(`the shell is bash, zsh or fish, not "${shell}"`, EXIT.usage);
        process.stdout.write(script);
      }),
    [
      "source <(airlock completion bash)",
      `airlock completion zsh > "\${fpath[1]}/_airlock"`,
      "airlock completion fish > ~/.config/fish/completions/airlock.fish",
    ],
  );
};
