/**
 * The launchd agent that runs the engine (macOS). Pure: text in, text out.
 * Values are XML-escaped strings in ProgramArguments: launchd runs no shell.
 */
import { hasControlCharacters, type ServiceDefinition } from "./definition.js";

export const LAUNCHD_LABEL = "spire";

/** `logFile`: where the engine's output goes (launchd keeps no journal). */
export function renderLaunchdPlist(definition: ServiceDefinition, logFile: string): string {
  const strings = (values: string[]) => values.map((value) => `    <string>${xml(value)}</string>`).join("\n");
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<!-- Made by spire service install; running it again with other options rewrites this file,
     and spire service uninstall removes it. -->
<plist version="1.0">
<dict>
  <key>Label</key>
  <string>${LAUNCHD_LABEL}</string>
  <key>ProgramArguments</key>
  <array>
${strings(definition.argv)}
  </array>
  <key>EnvironmentVariables</key>
  <dict>
    <key>PATH</key>
    <string>${xml(definition.path)}</string>
  </dict>
  <key>WorkingDirectory</key>
  <string>${xml(definition.home)}</string>
  <key>RunAtLoad</key>
  <true/>
  <!-- Started again when it exits with an error; a stop (SIGTERM) ends with 0 after the drain. -->
  <key>KeepAlive</key>
  <dict>
    <key>SuccessfulExit</key>
    <false/>
  </dict>
  <!-- The drain's grace and the tasks' kill grace, before launchd sends SIGKILL. -->
  <key>ExitTimeOut</key>
  <integer>${definition.stopTimeoutSeconds}</integer>
  <!-- The task supervisor and the tasks outlive an engine that crashed; the next engine takes them over. -->
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
  const bad = [...definition.argv, definition.path, definition.home].find(hasControlCharacters);
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
  return [...array.matchAll(/<string>([^<]*)<\/string>/g)].map((match) => match[1]!.replace(/&(amp|lt|gt|quot|apos);/g, (_, name: string) => ENTITIES[name]!));
}
