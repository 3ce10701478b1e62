/**
 * `spire completion zsh`: a completion function for zsh's completion system
 * (compinit), loaded from a file `_spire` in $fpath or sourced. It walks the
 * line as the bash one does (posix.ts) and shows descriptions beside
 * commands, options, and the values Spire gives (pipelines, runs, tasks).
 */
import type { CompletionModel } from "./model.js";
import { posixParts } from "./posix.js";

export function zshScript(model: CompletionModel, version: string): string {
  const p = model.program.replace(/[^A-Za-z0-9_]/g, "_");
  return `#compdef ${model.program}
# zsh completion for ${model.program} ${version}: commands, options and their values, and,
# from a running engine, pipeline names, run ids and task names.
#
# Install:   mkdir -p ~/.zfunc && ${model.program} completion zsh > ~/.zfunc/_${model.program}
# and in ~/.zshrc, before compinit:  fpath=(~/.zfunc $fpath)
# (or, after compinit:  source <(${model.program} completion zsh))
# Made from this version of ${model.program}: make it again after upgrading.

${posixParts(model, p, true)}
# Offers the values: words, and lists made now: @files, @dirs, @programs, @commands,
# and any other @NAME from: ${model.program} __complete NAME ARGUMENTS…
# $1: 1 when the word is the first of a command to run (@programs).
_${p}_add() {
  local first=$1 value line parent
  local -a words_ found
  shift
  for value in "$@"; do
    case $value in
      @files) _files ;;
      @dirs) _files -/ ;;
      @programs) if [[ $first == 1 && $PREFIX != */* ]]; then _command_names -e; else _files; fi ;;
      @commands)
        parent=
        [[ $command_path == *' '* ]] && parent=\${command_path% *}
        _${p}_command "$parent" && _describe -t commands command _${p}_commands
        ;;
      @*)
        found=()
        # Each line: a value, and after a tab its description.
        for line in "\${(@f)$("$program" __complete "\${value#@}" "\${positionals[@]}" "\${globals[@]}" 2>/dev/null)}"; do
          [[ -z $line ]] && continue
          if [[ $line == *$'\\t'* ]]; then found+=("\${\${line%%$'\\t'*}//:/\\\\:}:\${line#*$'\\t'}"); else found+=("\${line//:/\\\\:}"); fi
        done
        (( \${#found} )) && _describe -t \${value#@} \${value#@} found
        ;;
      *) words_+=("$value") ;;
    esac
  done
  (( \${#words_} )) && compadd -- "\${words_[@]}"
}

_${p}() {
  local program=\${words[1]/#\\~/$HOME}
  local command_path= pending= pending_global=0 dashes=0 programs=0 n count first
  local -a positionals globals values
  _${p}_walk "\${(@Q)words[2,CURRENT-1]}"

  # --format=sp: the value after the =.
  if [[ -z $pending && $dashes == 0 && $PREFIX == -*=* ]] && _${p}_option "$command_path|\${PREFIX%%=*}"; then
    pending=\${PREFIX%%=*}
    compset -P '*='
  fi

  if [[ -n $pending ]]; then
    _${p}_option "$command_path|$pending"
    _${p}_add 0 "\${_${p}_values[@]}"
  elif ((dashes)); then
    _${p}_add $((programs == 0)) @programs
  elif [[ $PREFIX == -* ]]; then
    _${p}_command "$command_path"
    _describe -t options option _${p}_options
  else
    _${p}_command "$command_path"
    if (( \${#_${p}_commands} )); then
      _describe -t commands command _${p}_commands
    else
      n=\${#positionals} count=\${#_${p}_positionals}
      # Past the last argument, a variadic one takes the word (no longer its first).
      if ((n >= count && count > 0 && _${p}_variadic)); then n=$((count - 1)) first=0; else first=1; fi
      if ((n < count)); then
        values=(\${=_${p}_positionals[n + 1]})
        _${p}_add "$first" "\${values[@]}"
      fi
    fi
  fi
}

# Loaded from $fpath, this file is the body of _${p}: it defines the functions, then completes.
# Sourced, it registers _${p} instead (compinit defines compdef).
if [[ $funcstack[1] == _${p} ]]; then
  _${p} "$@"
elif (( $+functions[compdef] )); then
  compdef _${p} ${model.program}
else
  print -u2 "${model.program} completion: run compinit before loading this (autoload -Uz compinit && compinit)"
fi
`;
}
