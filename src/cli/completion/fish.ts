/**
 * `spire completion fish`: one fish function that gives every candidate for
 * the token at the cursor (fish matches and shows them), walking the line as
 * the bash and zsh scripts do: a command's arguments are told apart by their
 * place, so a pipeline named like a command is still an argument.
 */
import { offeredOptions, valuedOptions, type CompletionModel } from "./model.js";
import { fishQuote, oneLine } from "./quote.js";

export function fishScript(model: CompletionModel, version: string): string {
  const p = `__${model.program.replace(/[^A-Za-z0-9_]/g, "_")}`;
  const entry = (name: string, description: string) => `${fishQuote(name)}\\t${fishQuote(oneLine(description))}`;
  const commandArms = model.commands.map((command) => {
    const options = offeredOptions(command).flatMap((option) => option.flags.map((flag) => entry(flag, option.description)));
    const lines = [
      `set -g ${p}_commands ${command.commands.map((sub) => entry(sub.name, sub.description)).join(" ")}`,
      `set -g ${p}_options ${options.join(" ")}`,
      `set -g ${p}_positionals ${command.positionals.map((values) => fishQuote(values.join(" "))).join(" ")}`,
      `set -g ${p}_variadic ${command.variadic ? 1 : 0}`,
      // set keeps the $status it found: say it.
      "return 0",
    ];
    return `        case ${fishQuote(command.path.join(" "))}\n${lines.map((line) => `            ${line}`).join("\n")}`;
  });
  const optionArms = valuedOptions(model).map((option) => {
    const words = option.path.join(" ");
    // fish matches a case's * even when quoted: the commands below (for spire's own options, every command).
    const keys = option.flags.flatMap((flag) => [
      ...(option.path.length > 0 ? [fishQuote(`${words}|${flag}`)] : []),
      ...(option.below ? [fishQuote(`${option.path.length > 0 ? `${words} ` : ""}*|${flag}`)] : []),
    ]);
    return `        case ${keys.join(" ")}\n            set -g ${p}_values ${option.values.map(fishQuote).join(" ")}\n            set -g ${p}_global ${option.global ? 1 : 0}\n            return 0`;
  });
  return `# fish completion for ${model.program} ${version}: commands, options and their values, and,
# from a running engine, pipeline names, run ids and task names.
#
# Install:   ${model.program} completion fish > ~/.config/fish/completions/${model.program}.fish
# Made from this version of ${model.program}: make it again after upgrading.

# The command that PATH (its words, space-separated) names: what follows it.
function ${p}_command --argument-names path
    switch $path
${commandArms.join("\n")}
        case '*'
            return 1
    end
end

# What completes the value of an option ('PATH|FLAG'); fails for an option that takes none.
function ${p}_option --argument-names key
    switch $key
${optionArms.join("\n")}
        case '*'
            return 1
    end
end

# Prints the values: words, and lists made now: @files, @dirs, @programs, @commands,
# and any other @NAME from: ${model.program} __complete NAME ARGUMENTS…
# Reads the caller's variables: cur, program, command_path, positionals, globals, first.
function ${p}_add --no-scope-shadowing
    for value in $argv
        switch $value
            case @files
                __fish_complete_path $cur
            case @dirs
                __fish_complete_directories $cur
            case @programs
                if test "$first" = 1; and not string match -q -- '*/*' $cur
                    __fish_complete_command $cur
                else
                    __fish_complete_path $cur
                end
            case @commands
                set -l parent (string replace -r ' ?[^ ]*$' '' -- $command_path)
                ${p}_command "$parent"; and string join \\n -- $${p}_commands
            case '@*'
                command -q -- $program; and $program __complete (string sub -s 2 -- $value) $positionals $globals 2>/dev/null
            case '*'
                printf '%s\\n' $value
        end
    end
end

function ${p}_complete
    set -l tokens (commandline -opc)
    set -l cur (commandline -ct)
    set -l program $tokens[1]
    set -e tokens[1]
    set -l command_path ''
    set -l pending ''
    set -l pending_global 0
    set -l dashes 0
    set -l programs 0
    set -l first 0
    set -l positionals
    set -l globals
    # Which command the words before the cursor name, which of them are its
    # arguments, and whether the last one is an option that wants a value.
    for word in $tokens
        if test $dashes = 1
            set programs (math $programs + 1)
            continue
        end
        if test -n "$pending"
            test $pending_global = 1; and set -a globals $pending $word
            set pending ''
            continue
        end
        switch $word
            case '--'
                set dashes 1
            case '-*=*'
                ${p}_option "$command_path|"(string split -m 1 = -- $word)[1]; and test $${p}_global = 1; and set -a globals $word
            case '-?*'
                if ${p}_option "$command_path|$word"
                    set pending $word
                    set pending_global $${p}_global
                end
            case '*'
                set -l next $word
                test -n "$command_path"; and set next "$command_path $word"
                if ${p}_command "$next"
                    set command_path $next
                else
                    set -a positionals $word
                end
        end
    end

    if test -z "$pending"; and test $dashes = 0; and string match -q -- '-*=*' $cur
        # --format=sp: the values after the =, each with the option before it.
        set -l option (string split -m 1 = -- $cur)[1]
        if ${p}_option "$command_path|$option"
            set cur (string split -m 1 = -- $cur)[2]
            ${p}_add $${p}_values | string replace -r '^' -- "$option="
            return
        end
    end

    if test -n "$pending"
        ${p}_option "$command_path|$pending"
        ${p}_add $${p}_values
    else if test $dashes = 1
        test $programs = 0; and set first 1
        ${p}_add @programs
    else if string match -q -- '-*' $cur
        ${p}_command "$command_path"
        string join \\n -- $${p}_options
    else
        ${p}_command "$command_path"
        if set -q ${p}_commands[1]
            string join \\n -- $${p}_commands
        else
            set -l n (count $positionals)
            set -l total (count $${p}_positionals)
            set first 1
            # Past the last argument, a variadic one takes the word (no longer its first).
            if test $n -ge $total; and test $total -gt 0; and test $${p}_variadic = 1
                set n (math $total - 1)
                set first 0
            end
            if test $n -lt $total
                ${p}_add (string split --no-empty ' ' -- $${p}_positionals[(math $n + 1)])
            end
        end
    end
end

complete -c ${model.program} -e
complete -c ${model.program} -f -a '(${p}_complete)'
`;
}
