/** Exit codes of SPEC §4, and the one error type the CLI prints without a stack trace. */
export const EXIT = {
  ok: 0,
  runFailed: 1,
  usage: 2,
  unreachable: 3,
  interrupted: 130,
} as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.usage,
    /** Printed after the message: what to do next. */
    readonly hint?: string,
  ) {
    super(message);
  }
}
