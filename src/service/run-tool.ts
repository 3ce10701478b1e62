/** Runs the service manager's own commands (systemctl, launchctl, journalctl, tail): argv only, never a shell. */
import { spawn, spawnSync } from "node:child_process";

export interface ToolResult {
  /** Exit code; null when the tool could not be started or was killed. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** The tool is not on PATH. */
  missing: boolean;
}

/** Runs a command to its end and collects what it printed. */
export function runTool(argv: string[]): ToolResult {
  const result = spawnSync(argv[0]!, argv.slice(1), { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const missing = (result.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT";
  return { code: result.status, stdout: result.stdout ?? "", stderr: result.error && !missing ? String(result.error.message) : (result.stderr ?? ""), missing };
}

/** Runs a command on this terminal (a log viewer the user reads and stops with Ctrl-C); resolves to its exit code. */
export function runOnTerminal(argv: string[]): Promise<{ code: number; missing: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: "inherit" });
    // Ctrl-C reaches the viewer too (same terminal); we only wait for it to go.
    const ignore = () => undefined;
    process.on("SIGINT", ignore);
    child.on("error", (error: NodeJS.ErrnoException) => {
      process.off("SIGINT", ignore);
      resolve({ code: 1, missing: error.code === "ENOENT" });
    });
    child.on("close", (code, signal) => {
      process.off("SIGINT", ignore);
      resolve({ code: code ?? (signal === "SIGINT" ? 130 : 1), missing: false });
    });
  });
}

/** The first line a failed tool printed, or why it could not run. */
export function problemOf(result: ToolResult, tool: string): string {
  if (result.missing) return `${tool} is not on PATH`;
  return result.stderr.trim().split("\n")[0] || `${tool} exited with ${result.code}`;
}
