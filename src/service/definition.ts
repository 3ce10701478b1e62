/** What a service file says, whichever the service manager: the command line and how it is kept. */
export interface ServiceDefinition {
  /** The command line (engine or worker), absolute paths only (see engine-command.ts, worker-command.ts). */
  argv: string[];
  /** PATH for the program and its tasks: the installing shell's, since a service manager's own is minimal. */
  path: string;
  /** More variables for the program, none secret: bin/spire.js's shebang's (GLIBC_TUNABLES), NODE_EXTRA_CA_CERTS from the installing shell (the service does not inherit it). */
  environment?: Record<string, string>;
  /** The user's home: the program's working folder. */
  home: string;
  /** How long the service manager lets the program stop before it kills it. */
  stopTimeoutSeconds: number;
  /**
   * Environment variables no one else may read (a worker's SPIRE_TOKEN):
   * never on the command line (`ps` shows it to every user), only in a
   * file of mode 0600 (a systemd EnvironmentFile, the launchd plist itself).
   */
  secrets?: Record<string, string>;
}

/** The variables a service file may hold that are not secrets: what is not among them in a plist's environment is a secret. */
export const PLAIN_VARIABLES = ["PATH", "NODE_EXTRA_CA_CERTS", "GLIBC_TUNABLES"];

/** A service file and the private files beside it (a systemd EnvironmentFile), as they are to be written. */
export interface ServiceFile {
  path: string;
  text: string;
}

/** What `--dry-run` and messages show instead of a secret's value. */
export const MASKED = "***";

/** The definition with each secret's value replaced by MASKED: what may be printed. */
export function masked(definition: ServiceDefinition): ServiceDefinition {
  if (!definition.secrets) return definition;
  return { ...definition, secrets: Object.fromEntries(Object.keys(definition.secrets).map((name) => [name, MASKED])) };
}

/** A value that cannot be written into a service file as it is: control characters (a newline would start another setting). */
export function hasControlCharacters(value: string): boolean {
  return /[\x00-\x1f\x7f]/.test(value);
}
