/**
 * The systemd user unit that runs the engine or a worker (Linux), and the
 * private environment file beside a worker's. Pure: text in, text out.
 *
 * Every value is written as one double-quoted word: systemd reads
 * backslash escapes in quotes, `%` specifiers on the whole line and `$VAR`
 * in the arguments of ExecStart (not in the program's path), so `\`, `"`,
 * `%` and (in those arguments) `$` are escaped: a path can never become
 * another argument, a specifier or a variable.
 */
import { hasControlCharacters, type ServiceDefinition } from "./definition.js";
import type { ServiceKind } from "./kind.js";

export const unitName = (kind: ServiceKind): string => `${kind.name}.service`;

/** `environmentFile`: where the definition's secrets are (written by renderEnvironmentFile); unused without secrets. */
export function renderSystemdUnit(definition: ServiceDefinition, kind: ServiceKind, environmentFile: string): string {
  const comment = (lines: string[]) => lines.map((line) => `# ${line}`).join("\n");
  const secretLines = definition.secrets
    ? `# ${Object.keys(definition.secrets).join(", ")}: in this file of mode 0600, never on the command line (ps shows that to everyone).
EnvironmentFile=${environmentFile.replaceAll("%", "%%")}
`
    : "";
  return `# Made by spire service install${kind.option}; running it again with other options rewrites this file,
# and spire service uninstall${kind.option} removes it. For settings of your own, use a drop-in:
# systemctl --user edit ${unitName(kind)}
[Unit]
Description=${kind.description}

[Service]
Type=exec
ExecStart=${definition.argv.map((word, index) => systemdWord(word, { expandsVariables: index > 0 })).join(" ")}
${Object.entries({ PATH: definition.path, ...definition.environment })
  .map(([name, value]) => `Environment=${systemdWord(`${name}=${value}`, { expandsVariables: false })}`)
  .join("\n")}
${secretLines}Restart=on-failure
RestartSec=5s
${comment(kind.fatalExits.why)}
RestartPreventExitStatus=${kind.fatalExits.codes.join(" ")}
${comment(kind.killModeWhy)}
KillMode=process
TimeoutStopSec=${definition.stopTimeoutSeconds}s
StandardOutput=journal
StandardError=journal
SyslogIdentifier=${kind.name}

[Install]
WantedBy=default.target
`;
}

/**
 * The file systemd reads the secrets from (EnvironmentFile=): each value
 * single-quoted, which systemd reads verbatim (no escapes, no variables);
 * systemdRefuses keeps out what single quotes cannot hold.
 */
export function renderEnvironmentFile(secrets: Record<string, string>, kind: ServiceKind): string {
  const lines = Object.entries(secrets).map(([name, value]) => `${name}='${value}'`);
  return `# Made by spire service install${kind.option} for ${unitName(kind)}; spire service uninstall${kind.option} removes it.
# Private (mode 0600): it holds a secret.
${lines.join("\n")}
`;
}

/** The secrets of an environment file renderEnvironmentFile wrote (for `spire service status`). */
export function environmentFileSecrets(text: string): Record<string, string> {
  return Object.fromEntries([...text.matchAll(/^([A-Za-z_][A-Za-z0-9_]*)='([^']*)'$/gm)].map((match) => [match[1]!, match[2]!]));
}

function systemdWord(value: string, { expandsVariables }: { expandsVariables: boolean }): string {
  let escaped = value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("%", "%%");
  if (expandsVariables) escaped = escaped.replaceAll("$", "$$$$");
  return `"${escaped}"`;
}

/**
 * Why systemd could not run this definition, if it could not: it refuses a
 * program path with quotes or backslashes ("special characters"), no
 * setting can hold a control character (a newline would start another),
 * and a single-quoted secret cannot hold a single quote.
 */
export function systemdRefuses(definition: ServiceDefinition, environmentFile: string): string | undefined {
  const program = definition.argv[0]!;
  if (/["'\\]/.test(program)) return `systemd cannot run a program whose path has quotes or backslashes: ${program}`;
  const secrets = Object.entries(definition.secrets ?? {});
  const badSecret = secrets.find(([, value]) => value.includes("'") || hasControlCharacters(value));
  if (badSecret) return `${badSecret[0]} cannot be written to a service's environment file: it has a quote (') or a control character`;
  const paths = [...definition.argv, definition.path, definition.home, ...Object.values(definition.environment ?? {}), ...(secrets.length > 0 ? [environmentFile] : [])];
  const bad = paths.find(hasControlCharacters);
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
