/**
 * `spire completion bash`: a bash completion function. The commands, options
 * and choices are written into it (posix.ts); pipeline names, run ids
 * and task names are asked of `spire __complete` at Tab time. Candidates are
 * matched by prefix here, never through `compgen -W`, which would expand
 * (run) what is in them.
 */
import type { CompletionModel } from "./model.js";
import { posixParts } from "./posix.js";

export function bashScript(model: CompletionModel, version: string): string {
  const p = model.program.replace(/[^A-Za-z0-9_]/g, "_");
  return `# bash completion for ${model.program} ${version}: commands, options and their values, and,
# from a running engine, pipeline names, run ids and task names.
#
# Install:   ${model.program} completion bash > ~/.local/share/bash-completion/completions/${model.program}
# (with the bash-completion package), or in ~/.bashrc: source <(${model.program} completion bash)
# Made from this version of ${model.program}: make it again after upgrading.

${posixParts(model, p, false)}
# Adds to COMPREPLY each line read that starts with $cur, up to its first tab (a description).
_${p}_reply() {
  local line
  while IFS= read -r line; do
    line=\${line%%$'\\t'*}
    [[ -n $line && $line == "$cur"* ]] && COMPREPLY+=("$line")
  done
}

# Adds the values that start with $cur: words, and lists made now: @files, @dirs, @programs,
# @commands, and any other @NAME from: ${model.program} __complete NAME ARGUMENTS…
# $1: 1 when the word is the first of a command to run (@programs).
_${p}_add() {
  local first=$1 value parent
  shift
  for value in "$@"; do
    case $value in
      @files)
        compopt -o filenames 2>/dev/null
        _${p}_reply < <(compgen -f -- "$cur")
        ;;
      @dirs)
        compopt -o filenames 2>/dev/null
        _${p}_reply < <(compgen -d -- "$cur")
        ;;
      @programs)
        compopt -o filenames 2>/dev/null
        if [[ $first == 1 && $cur != */* ]]; then _${p}_reply < <(compgen -c -- "$cur"); else _${p}_reply < <(compgen -f -- "$cur"); fi
        ;;
      @commands)
        parent=
        [[ $command_path == *' '* ]] && parent=\${command_path% *}
        _${p}_command "$parent" && _${p}_reply < <(printf '%s\\n' "\${_${p}_commands[@]}")
        ;;
      @*)
        _${p}_reply < <("$program" __complete "\${value#@}" "\${positionals[@]}" "\${globals[@]}" 2>/dev/null)
        ;;
      *)
        [[ $value == "$cur"* ]] && COMPREPLY+=("$value")
        ;;
    esac
  done
}

_${p}() {
  local cur=\${COMP_WORDS[COMP_CWORD]} program=\${COMP_WORDS[0]/#\\~/$HOME}
  local command_path= pending= pending_global=0 dashes=0 programs=0 n count first
  local -a positionals=() globals=() values=()
  COMPREPLY=()
  _${p}_walk "\${COMP_WORDS[@]:1:COMP_CWORD-1}"

  if [[ -n $pending ]]; then
    [[ $cur == = ]] && cur=
    _${p}_option "$command_path|$pending"
    _${p}_add 0 "\${_${p}_values[@]}"
  elif ((dashes)); then
    _${p}_add $((programs == 0)) @programs
  elif [[ $cur == -* ]]; then
    _${p}_command "$command_path"
    _${p}_add 0 "\${_${p}_options[@]}"
  else
    _${p}_command "$command_path"
    if ((\${#_${p}_commands[@]})); then
      _${p}_add 0 "\${_${p}_commands[@]}"
    else
      n=\${#positionals[@]} count=\${#_${p}_positionals[@]}
      # Past the last argument, a variadic one takes the word (no longer its first).
      if ((n >= count && count > 0 && _${p}_variadic)); then n=$((count - 1)) first=0; else first=1; fi
      if ((n < count)); then
        read -ra values <<<"\${_${p}_positionals[n]}"
        _${p}_add "$first" "\${values[@]}"
      fi
    fi
  fi
  return 0
}

complete -F _${p} ${model.program}
`;
}
