/**
 * A real browser on the web UI: Debian's Chromium driven by playwright-core
 * (which cannot download a browser here), logged in to a real engine through
 * the one-time link of `spire ui --print`, as a person would be.
 *
 * Every page opened here is watched: uncaught errors, errors the page logs,
 * every URL it requests, and every Content-Security-Policy violation
 * (a `securitypolicyviolation` listener installed before the page's own
 * scripts). `assertClean` fails a test on any of them.
 *
 * The browser inherits the test's environment, so the leftover-process check
 * (test/helpers/leaks.ts) sees it: that check runs before `t.after` hooks,
 * so a test closes its browser itself (`await browser.close()`) before it
 * ends; the `t.after` here only tidies up after a test that failed midway.
 */
import type { TestContext } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { spire } from "./cli.js";

export const CHROMIUM = process.env.SPIRE_CHROMIUM ?? "/usr/bin/chromium";

/**
 * Flags for a browser in a machine without a network or a desktop: no
 * sandbox (tests run as root here), no background connections (refused by
 * this machine's closed network, many at a time), /tmp rather than a small
 * /dev/shm for shared memory.
 */
export const CHROMIUM_FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
];

const NO_BROWSER = `no Chromium at ${CHROMIUM}: install Debian's chromium package (.ci/run does), or set SPIRE_CHROMIUM`;

/**
 * The `skip` option of a UI test: the reason (printed by the runner) when no
 * Chromium is here on a developer's machine; false in CI, where .ci/run
 * installs it and a missing browser must fail the test instead.
 */
export function skipWithoutBrowser(): string | false {
  return existsSync(CHROMIUM) || process.env.CI ? false : NO_BROWSER;
}

/** One Chromium with a fresh profile (playwright makes a temporary one, removed at close), for benchmarks and scripts; tests use launchBrowser. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
}

/** One Chromium for the test. Close it before the test ends (see above); t.after closes it too if the test failed first. */
export async function launchBrowser(t: TestContext): Promise<Browser> {
  assert.ok(existsSync(CHROMIUM), NO_BROWSER);
  const browser = await launchChromium();
  t.after(() => browser.close());
  return browser;
}

export interface UiOptions {
  colorScheme?: "light" | "dark";
  /** Default a laptop's 1280×800. */
  viewport?: { width: number; height: number };
  timezoneId?: string;
}

/** A browser context (its own cookies) and its first page, watched. */
export interface UiPage {
  context: BrowserContext;
  page: Page;
  /** Uncaught errors and what the page logged as an error (the browser's own network messages aside: see `network`). */
  errors: string[];
  /** The browser's messages about failed loads (a 401 before logging in, a refused connection while the engine is down). */
  network: string[];
  /** Every request of any page of the context, in order, as "METHOD URL". */
  requests: string[];
  /** Content-Security-Policy violations reported by any page of the context. */
  cspViolations: string[];
}

/** Messages Chromium itself logs for a failed request: not the page's code speaking. */
const BROWSER_NETWORK_MESSAGE = /^Failed to load resource: |net::ERR_/;

/**
 * The few browser globals the functions below use inside the page (this
 * project's tsconfig has Node's types, not the DOM's: the functions passed
 * to evaluate() run in the page, their source sent there as text).
 */
interface PageGlobals {
  document: {
    addEventListener(type: "securitypolicyviolation", listener: (event: { effectiveDirective: string; blockedURI: string; sourceFile: string; documentURI: string; lineNumber: number }) => void): void;
    scrollingElement: { scrollWidth: number } | null;
  };
  innerWidth: number;
  /** The binding the init script reports violations through. */
  __spireCspViolation?: (line: string) => void;
}

export async function newContext(browser: Browser, options: UiOptions = {}): Promise<UiPage> {
  const context = await browser.newContext({
    colorScheme: options.colorScheme ?? "light",
    viewport: options.viewport ?? { width: 1280, height: 800 },
    ...(options.timezoneId ? { timezoneId: options.timezoneId } : {}),
  });
  const watched: Omit<UiPage, "page"> = { context, errors: [], network: [], requests: [], cspViolations: [] };
  // Installed through the DevTools protocol, not a <script>: the page's CSP does not apply to it, and it runs before the page's scripts.
  await context.exposeBinding("__spireCspViolation", (_source, line: string) => void watched.cspViolations.push(line));
  await context.addInitScript(() => {
    const page = globalThis as unknown as PageGlobals;
    page.document.addEventListener("securitypolicyviolation", (event) => {
      page.__spireCspViolation?.(`${event.effectiveDirective} blocked ${event.blockedURI || "(inline)"} in ${event.sourceFile || event.documentURI}:${event.lineNumber}`);
    });
  });
  context.on("request", (request) => void watched.requests.push(`${request.method()} ${request.url()}`));
  const watch = (page: Page) => {
    page.on("pageerror", (error) => watched.errors.push(`page error: ${error.message}`));
    page.on("console", (message) => {
      if (message.type() !== "error") return;
      (BROWSER_NETWORK_MESSAGE.test(message.text()) ? watched.network : watched.errors).push(`console: ${message.text()}`);
    });
  };
  context.on("page", watch);
  const page = await context.newPage();
  return { ...watched, page };
}

/** The one-time link `spire ui --print` gives for the engine of this data folder. */
export async function loginLink(data: string): Promise<string> {
  const printed = await spire(["ui", "--print"], { data });
  assert.equal(printed.code, 0, printed.stderr);
  return printed.stdout.trim();
}

/** A page logged in through `spire ui`'s link, on the pipelines page. */
export async function openUi(browser: Browser, engine: { data: string }, options: UiOptions = {}): Promise<UiPage> {
  const opened = await newContext(browser, options);
  await opened.page.goto(await loginLink(engine.data));
  await opened.page.waitForURL((url) => url.pathname === "/" && url.hash === "");
  await opened.page.locator("main h1").first().waitFor();
  return opened;
}

/** No uncaught error, no error logged by the page's code, no CSP violation so far. */
export function assertClean(ui: Pick<UiPage, "errors" | "cspViolations">, when = ""): void {
  assert.deepEqual(ui.errors, [], `errors in the page${when ? ` ${when}` : ""}`);
  assert.deepEqual(ui.cspViolations, [], `Content-Security-Policy violations${when ? ` ${when}` : ""}`);
}

/** Whether the whole page scrolls sideways (a table or a long word too wide for a phone). */
export function scrollsSideways(page: Page): Promise<{ scrollWidth: number; innerWidth: number } | undefined> {
  return page.evaluate(() => {
    const { document, innerWidth } = globalThis as unknown as PageGlobals;
    const scrollWidth = document.scrollingElement!.scrollWidth;
    return scrollWidth > innerWidth ? { scrollWidth, innerWidth } : undefined;
  });
}

const require = createRequire(import.meta.url);
let axeSource: string | undefined;

/** axe-core's violations of impact serious or critical on the page as it is now, each as one readable line. */
export async function seriousViolations(page: Page): Promise<string[]> {
  // evaluate() runs outside the page's Content-Security-Policy, which (rightly) allows no injected script tag.
  axeSource ??= readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
  if (!(await page.evaluate(() => "axe" in globalThis))) await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(context: unknown, options: unknown): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[] }> } }).axe;
    const result = await axe.run((globalThis as unknown as PageGlobals).document, { resultTypes: ["violations"] });
    return result.violations.map((violation) => ({ id: violation.id, impact: violation.impact, help: violation.help, targets: violation.nodes.map((node) => node.target.join(" ")) }));
  });
  return violations
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .map((violation) => `${violation.impact} ${violation.id}: ${violation.help} (${violation.targets.slice(0, 5).join(", ")})`);
}
