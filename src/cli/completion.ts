/**
 * Shell completion scripts for bash and zsh, generated from the program's own commands,
 * options and choices (so they cannot drift from the CLI). Workflow file arguments
 * complete to .lua, .yaml, .yml and .json files and to folders.
 */
import type { Command, Option } from "commander";

/** The shells `sandflow completion` writes a script for. */
export const SHELLS = ["bash", "zsh"] as const;
/** One of {@link SHELLS}. */
export type Shell = (typeof SHELLS)[number];

interface CommandInfo {
  readonly name: string;
  readonly description: string;
  readonly options: readonly { flag: string; description: string; takes: boolean; choices: string[] }[];
  /** What the first argument completes to: workflow files, fixed words, or nothing. */
  readonly argument: { kind: "file" } | { kind: "words"; words: string[] } | { kind: "none" };
}

function optionInfo(option: Option) {
  return {
    flag: option.long ?? option.short ?? "",
    description: option.description,
    takes: option.required || option.optional,
    choices: option.argChoices ?? [],
  };
}

const HELP_OPTION = { flag: "--help", description: "show help", takes: false, choices: [] };

function commandInfo(program: Command): CommandInfo[] {
  const infos: CommandInfo[] = program.commands.map((c) => {
    const first = c.registeredArguments[0];
    const argument: CommandInfo["argument"] = first?.argChoices
      ? { kind: "words", words: first.argChoices }
      : first
        ? { kind: "file" }
        : { kind: "none" };
    return {
      name: c.name(),
      description: c.description(),
      options: [...c.options.map(optionInfo), HELP_OPTION],
      argument,
    };
  });
  // commander makes its `help` command on demand, outside program.commands.
  infos.push({
    name: "help",
    description: "show help for a command",
    options: [],
    argument: { kind: "words", words: infos.map((c) => c.name) },
  });
  return infos;
}

const quote = (text: string) => `'${text.replace(/'/g, "'\\''")}'`;

function bashScript(program: Command): string {
  const commands = commandInfo(program);
  const top = [...commands.map((c) => c.name), "--version", "--help"].join(" ");
  const optionCases = commands
    .flatMap((c) => c.options.filter((o) => o.takes))
    .map(
      (o) => `    ${o.flag}) COMPREPLY=($(compgen -W ${quote(o.choices.join(" "))} -- "$cur")); return ;;`,
    );
  const commandCases = commands.map((c) => {
    const flags = c.options.map((o) => o.flag).join(" ");
    const args =
      c.argument.kind === "file"
        ? "_sandflow_files"
        : c.argument.kind === "words"
          ? `COMPREPLY=($(compgen -W ${quote(c.argument.words.join(" "))} -- "$cur"))`
          : ":";
    return `    ${c.name}) if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W ${quote(flags)} -- "$cur")); else ${args}; fi ;;`;
  });
  return `# bash completion for sandflow. Load it with: source <(sandflow completion bash)
_sandflow_files() {
  local f
  COMPREPLY=()
  while IFS= read -r f; do
    if [[ -d $f ]]; then COMPREPLY+=("$f")
    else case $f in *.lua|*.yaml|*.yml|*.json) COMPREPLY+=("$f") ;; esac
    fi
  done < <(compgen -f -- "$cur")
}
_sandflow() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]}
  if ((COMP_CWORD == 1)); then
    COMPREPLY=($(compgen -W ${quote(top)} -- "$cur"))
    return
  fi
  case $prev in
${optionCases.join("\n")}
  esac
  case \${COMP_WORDS[1]} in
${commandCases.join("\n")}
  esac
}
complete -o filenames -F _sandflow sandflow
`;
}

const zshEscape = (text: string) => text.replace(/[[\]:'\\]/g, (c) => `\\${c}`);

function zshScript(program: Command): string {
  const commands = commandInfo(program);
  const described = commands.map((c) => `    ${quote(`${c.name}:${c.description.replace(/:/g, "\\:")}`)}`);
  const cases = commands.map((c) => {
    const specs = c.options.map((o) => {
      const value = o.takes
        ? `:${o.flag.slice(2)}:${o.choices.length ? `(${o.choices.join(" ")})` : " "}`
        : "";
      return quote(`${o.flag}[${zshEscape(o.description)}]${value}`);
    });
    if (c.argument.kind === "file") specs.push(quote(`1:workflow file:_files -g "*.(lua|yaml|yml|json)"`));
    else if (c.argument.kind === "words") specs.push(quote(`1:${c.name}:(${c.argument.words.join(" ")})`));
    return `    ${c.name}) _arguments ${specs.join(" ")} ;;`;
  });
  return `#compdef sandflow
# zsh completion for sandflow. Load it with: source <(sandflow completion zsh)
# (after compinit), or save it as _sandflow in a folder of $fpath.
_sandflow() {
  local -a commands
  commands=(
${described.join("\n")}
  )
  if (( CURRENT == 2 )); then
    _describe -t commands 'sandflow command' commands
    _arguments '--version[print the version]' '--help[show help]'
    return
  fi
  local cmd=$words[2]
  shift words
  (( CURRENT-- ))
  case $cmd in
${cases.join("\n")}
  esac
}
if [[ $funcstack[1] == _sandflow ]]; then
  _sandflow "$@"
else
  compdef _sandflow sandflow
fi
`;
}

/** The completion script of `program` for `shell`. */
export function completionScript(program: Command, shell: Shell): string {
  return shell === "bash" ? bashScript(program) : zshScript(program);
}
