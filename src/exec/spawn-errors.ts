/**
 * Why a command could not start, in words a user can act on, with the exit
 * code a shell would give (127 not found, 126 not executable).
 */
import { stat } from "node:fs/promises";

export interface SpawnFailure {
  exitCode: number;
  reason: string;
}

export async function explainSpawnError(error: unknown, command: string, cwd: string): Promise<SpawnFailure> {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  // Node reports a missing cwd as ENOENT of the command, so the cwd is checked first.
  const cwdProblem = code === "ENOENT" || code === "ENOTDIR" ? await checkCwd(cwd) : undefined;
  if (cwdProblem !== undefined) return { exitCode: 127, reason: cwdProblem };
  const hasSlash = command.includes("/");
  switch (code) {
    case "ENOENT":
      return {
        exitCode: 127,
        reason: hasSlash
          ? `command not found: ${command} — does the file exist (and the interpreter on its #! line)?`
          : `command not found: ${command} — is it installed and on PATH?`,
      };
    case "EACCES":
      return { exitCode: 126, reason: `permission denied: ${command} — is it executable (chmod +x) and its folder readable?` };
    case "ENOEXEC":
      return { exitCode: 126, reason: `cannot execute: ${command} — not a program; add a #! line or pick a runner` };
    case "E2BIG":
      return { exitCode: 126, reason: `arguments too long for ${command} — pass large values in a file` };
    default:
      return { exitCode: 127, reason: `spawn failed: ${command}: ${(error as Error | undefined)?.message ?? String(error)}` };
  }
}

async function checkCwd(cwd: string): Promise<string | undefined> {
  try {
    const info = await stat(cwd);
    return info.isDirectory() ? undefined : `working directory is not a directory: ${cwd}`;
  } catch {
    return `working directory does not exist: ${cwd}`;
  }
}
