/**
 * The systemd user unit that runs the engine (Linux). Pure: text in, text out.
 *
 * Every value is written as one double-quoted word: systemd reads
 * backslash escapes in quotes, `%` specifiers on the whole line and `$VAR`
 * in the arguments of ExecStart (not in the program's path), so `\`, `"`,
 * `%` and (in those arguments) `$` are escaped: a path can never become
 * another argument, a specifier or a variable.
 */
import { hasControlCharacters, type ServiceDefinition } from "./definition.js";

export const SYSTEMD_UNIT = "spire.service";

export function renderSystemdUnit(definition: ServiceDefinition): string {
  return `# Made by spire service install; running it again with other options rewrites this file,
# and spire service uninstall removes it. For settings of your own, use a drop-in:
# systemctl --user edit ${SYSTEMD_UNIT}
[Unit]
Description=Spire engine: scheduler and pipeline runner

[Service]
Type=exec
ExecStart=${definition.argv.map((word, index) => systemdWord(word, { expandsVariables: index > 0 })).join(" ")}
Environment=${systemdWord(`PATH=${definition.path}`, { expandsVariables: false })}
Restart=on-failure
RestartSec=5s
# Exit code 2 is a mistake in the options or the definitions file (or the port is taken):
# starting again would only fail again. spire service logs says which.
RestartPreventExitStatus=2
# On stop the engine drains (its --grace), then stops its task supervisor itself. Only the
# engine gets the signal: the supervisor and the tasks outlive an engine that crashed, and
# the engine that Restart= starts takes them over. (mixed would SIGKILL them on a crash.)
KillMode=process
TimeoutStopSec=${definition.stopTimeoutSeconds}s
StandardOutput=journal
StandardError=journal
SyslogIdentifier=spire

[Install]
WantedBy=default.target
`;
}

function systemdWord(value: string, { expandsVariables }: { expandsVariables: boolean }): string {
  let escaped = value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("%", "%%");
  if (expandsVariables) escaped = escaped.replaceAll("$", "$$$$");
  return `"${escaped}"`;
}

/**
 * Why systemd could not run this definition, if it could not: it refuses a
 * program path with quotes or backslashes ("special characters"), and no
 * setting can hold a control character (a newline would start another).
 */
export function systemdRefuses(definition: ServiceDefinition): string | undefined {
  const program = definition.argv[0]!;
  if (/["'\\]/.test(program)) return `systemd cannot run a program whose path has quotes or backslashes: ${program}`;
  const bad = [...definition.argv, definition.path, definition.home].find(hasControlCharacters);
  return bad === undefined ? undefined : `a service file cannot hold a control character (a newline, a tab…): ${JSON.stringify(bad)}`;
}

/** The command line of a unit this module wrote (for `spire service status`); undefined for any other text. */
export function systemdUnitArgv(text: string): string[] | undefined {
  const line = /^ExecStart=(.*)$/m.exec(text)?.[1];
  if (line === undefined || !/^(?:"(?:[^"\\]|\\.)*"(?: |$))+$/.test(line)) return undefined;
  return [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((match, index) => {
    const word = match[1]!.replace(/\\(.)/g, "$1").replaceAll("%%", "%");
    return index > 0 ? word.replaceAll("$$", "$") : word;
  });
}
