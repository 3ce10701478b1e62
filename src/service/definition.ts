/** What a service file says, whichever the service manager: the engine's command line and how it is kept. */
export interface ServiceDefinition {
  /** The engine's command line, absolute paths only (see engine-command.ts). */
  argv: string[];
  /** PATH for the engine and its tasks: the installing shell's, since a service manager's own is minimal. */
  path: string;
  /** The user's home: the engine's working folder. */
  home: string;
  /** How long the service manager lets the engine drain before it kills it. */
  stopTimeoutSeconds: number;
}

/** A value that cannot be written into a service file as it is: control characters (a newline would start another setting). */
export function hasControlCharacters(value: string): boolean {
  return /[\x00-\x1f\x7f]/.test(value);
}
