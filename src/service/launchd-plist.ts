/**
 * The launchd agent that runs the engine or a worker (macOS). Pure: text
 * in, text out. Values are XML-escaped strings in ProgramArguments: launchd
 * runs no shell. A worker's token is in EnvironmentVariables, never in
 * ProgramArguments (ps shows those to everyone): the plist is written 0600.
 */
import { hasControlCharacters, type ServiceDefinition } from "./definition.js";
import type { ServiceKind } from "./kind.js";

/** `logFile`: where the program's output goes (launchd keeps no journal). */
export function renderLaunchdPlist(definition: ServiceDefinition, kind: ServiceKind, logFile: string): string {
  const strings = (values: string[]) => values.map((value) => `    <string>${xml(value)}</string>`).join("\n");
  const environment = { PATH: definition.path, ...definition.environment, ...definition.secrets };
  const variables = Object.entries(environment)
    .map(([name, value]) => `    <key>${xml(name)}</key>\n    <string>${xml(value)}</string>`)
    .join("\n");
  // An XML comment cannot hold "--": the worker's option is named in words.
  const which = kind.what === "engine" ? "" : ` (its ${kind.what} option)`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<!-- Made by spire service install${which}; running it again with other options rewrites this file,
     and spire service uninstall${which} removes it.${definition.secrets ? " Private (mode 0600): it holds a secret." : ""} -->
<plist version="1.0">
<dict>
  <key>Label</key>
  <string>${xml(kind.name)}</string>
  <key>ProgramArguments</key>
  <array>
${strings(definition.argv)}
  </array>
  <key>EnvironmentVariables</key>
  <dict>
${variables}
  </dict>
  <key>WorkingDirectory</key>
  <string>${xml(definition.home)}</string>
  <key>RunAtLoad</key>
  <true/>
  <!-- Started again when it exits with an error; a stop (SIGTERM) ends with 0. -->
  <key>KeepAlive</key>
  <dict>
    <key>SuccessfulExit</key>
    <false/>
  </dict>
  <!-- How long it may take to stop (an engine: its drain's grace and the tasks' kill grace) before launchd sends SIGKILL. -->
  <key>ExitTimeOut</key>
  <integer>${definition.stopTimeoutSeconds}</integer>
  <!-- ${kind.outlive} -->
  <key>AbandonProcessGroup</key>
  <true/>
  <key>StandardOutPath</key>
  <string>${xml(logFile)}</string>
  <key>StandardErrorPath</key>
  <string>${xml(logFile)}</string>
</dict>
</plist>
`;
}

/** Why this definition cannot be written as a plist, if it cannot: XML holds no control characters. */
export function launchdRefuses(definition: ServiceDefinition): string | undefined {
  const bad = [...definition.argv, definition.path, definition.home, ...Object.values(definition.environment ?? {}), ...Object.values(definition.secrets ?? {})].find(hasControlCharacters);
  return bad === undefined ? undefined : `a service file cannot hold a control character (a newline, a tab…): ${JSON.stringify(bad)}`;
}

function xml(value: string): string {
  return value.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;").replaceAll("'", "&apos;");
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/** The command line of a plist this module wrote (for `spire service status`); undefined for any other text. */
export function launchdPlistArgv(text: string): string[] | undefined {
  const array = /<key>ProgramArguments<\/key>\s*<array>([\s\S]*?)<\/array>/.exec(text)?.[1];
  if (array === undefined) return undefined;
  return [...array.matchAll(/<string>([^<]*)<\/string>/g)].map((match) => unxml(match[1]!));
}

/** The EnvironmentVariables of a plist this module wrote (for `spire service status`: whether the token is there). */
export function launchdPlistEnvironment(text: string): Record<string, string> {
  const dict = /<key>EnvironmentVariables<\/key>\s*<dict>([\s\S]*?)<\/dict>/.exec(text)?.[1] ?? "";
  return Object.fromEntries([...dict.matchAll(/<key>([^<]*)<\/key>\s*<string>([^<]*)<\/string>/g)].map((match) => [unxml(match[1]!), unxml(match[2]!)]));
}

function unxml(value: string): string {
  return value.replace(/&(amp|lt|gt|quot|apos);/g, (_, name: string) => ENTITIES[name]!);
}
