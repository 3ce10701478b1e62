/**
 * `spire ui`: the web UI of the running engine, opened through a one-time
 * login link (good once, for 60 s) so that no token is ever in a URL. The
 * link's code is in the fragment, which the browser does not send anywhere;
 * the page trades it for a session cookie.
 */
import { spawn } from "node:child_process";
import { HttpClient } from "../../client/http.js";
import { checkLocalToken, findEngine, type Target } from "../connect.js";
import { CliError, EXIT } from "../errors.js";

export async function uiCommand(options: Target & { print?: boolean }): Promise<void> {
  const address = await findEngine(options);
  if (!address) {
    throw new CliError("no engine is running: the web UI is served by the engine", EXIT.unreachable, "Start one with: spire engine   (or keep one running with: spire service install)");
  }
  const link = await new HttpClient(checkLocalToken(address)).createLoginLink();
  const url = `${address.url}${link.path}`;
  if (options.print) return void process.stdout.write(`${url}\n`);
  const opened = await openBrowser(url);
  process.stdout.write(
    opened
      ? `Opened the web UI in your browser. If it did not open, this link logs you in (once, within 60 s):\n  ${url}\n`
      : `Open this link to log in to the web UI (it works once, within 60 s):\n  ${url}\n`,
  );
}

/**
 * Hands the URL to $BROWSER, or the desktop's opener; false when there is
 * none (a server without a desktop) or it failed. The URL is an argument,
 * never part of a shell command.
 */
async function openBrowser(url: string): Promise<boolean> {
  const command = process.env.BROWSER || (process.platform === "darwin" ? "open" : process.platform === "linux" && (process.env.DISPLAY || process.env.WAYLAND_DISPLAY) ? "xdg-open" : undefined);
  if (!command) return false;
  return new Promise((resolve) => {
    const child = spawn(command, [url], { stdio: "ignore", detached: true });
    child.once("error", () => resolve(false));
    child.once("spawn", () => {
      // A browser may keep running: wait only for an opener that says at once it failed.
      const timer = setTimeout(() => {
        child.unref();
        resolve(true);
      }, 1000);
      child.once("exit", (code) => {
        clearTimeout(timer);
        resolve(code === 0);
      });
    });
  });
}
