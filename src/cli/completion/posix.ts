/**
 * The part of a bash or zsh completion script that the two shells read
 * alike (bash.ts and zsh.ts write the rest): the lookups, written out from
 * the model as `case` statements, and the walk over the words before the
 * cursor that uses them.
 *
 * - `_spire_command PATH` sets `_spire_commands`, `_spire_options` (with
 *   descriptions for zsh, as `NAME:DESCRIPTION`), `_spire_positionals` (one
 *   space-separated list of values per argument) and `_spire_variadic`; it
 *   fails for words that name no command.
 * - `_spire_option 'PATH|FLAG'` sets `_spire_values` and `_spire_global`; it
 *   fails for an option that takes no value.
 * - `_spire_walk WORDS…` sets its caller's command_path, positionals,
 *   globals, pending, pending_global, dashes and programs.
 */
import { offeredOptions, valuedOptions, type CompletionModel } from "./model.js";
import { oneLine, posixQuote } from "./quote.js";

export function posixParts(model: CompletionModel, prefix: string, withDescriptions: boolean): string {
  const entry = (name: string, description: string) => posixQuote(withDescriptions ? `${name.replaceAll(":", "\\:")}:${oneLine(description)}` : name);
  const commandArms = model.commands.map((command) => {
    const options = offeredOptions(command).flatMap((option) => option.flags.map((flag) => entry(flag, option.description)));
    const lines = [
      `_${prefix}_commands=(${command.commands.map((sub) => entry(sub.name, sub.description)).join(" ")})`,
      `_${prefix}_options=(${options.join(" ")})`,
      `_${prefix}_positionals=(${command.positionals.map((values) => posixQuote(values.join(" "))).join(" ")})`,
      `_${prefix}_variadic=${command.variadic ? 1 : 0}`,
    ];
    return `    ${posixQuote(command.path.join(" "))})\n${lines.map((line) => `      ${line}`).join("\n")}\n      ;;`;
  });
  const optionArms = valuedOptions(model).map((option) => {
    const words = option.path.join(" ");
    // `*` outside the quotes: a pattern for the commands below (for spire's own options, every command).
    const keys = option.flags.flatMap((flag) => [
      ...(option.path.length > 0 ? [posixQuote(`${words}|${flag}`)] : []),
      ...(option.below ? [`${option.path.length > 0 ? posixQuote(`${words} `) : ""}*${posixQuote(`|${flag}`)}`] : []),
    ]);
    return `    ${keys.join("|")})\n      _${prefix}_values=(${option.values.map(posixQuote).join(" ")})\n      _${prefix}_global=${option.global ? 1 : 0}\n      ;;`;
  });
  return `# The command that PATH (its words, space-separated) names: what follows it.
_${prefix}_command() {
  case $1 in
${commandArms.join("\n")}
    *) return 1 ;;
  esac
}

# What completes the value of an option ('PATH|FLAG'); fails for an option that takes none.
_${prefix}_option() {
  case $1 in
${optionArms.join("\n")}
    *) return 1 ;;
  esac
}

# Which command the words before the cursor name, which of them are its arguments
# (or, after --, a command to run), and whether the last is an option that wants a
# value. Sets the caller's variables.
_${prefix}_walk() {
  local word
  for word in "$@"; do
    if ((dashes)); then
      ((programs++))
      continue
    fi
    if [[ -n $pending ]]; then
      # bash splits --format=gator at the = (a word break): the value is the word after it.
      [[ $word == = ]] && continue
      ((pending_global)) && globals+=("$pending" "$word")
      pending=
      continue
    fi
    case $word in
      --) dashes=1 ;;
      -*=*) _${prefix}_option "$command_path|\${word%%=*}" && ((_${prefix}_global)) && globals+=("$word") ;;
      -?*) _${prefix}_option "$command_path|$word" && pending=$word pending_global=$_${prefix}_global ;;
      *)
        if _${prefix}_command "\${command_path:+$command_path }$word"; then command_path=\${command_path:+$command_path }$word; else positionals+=("$word"); fi
        ;;
    esac
  done
}
`;
}
