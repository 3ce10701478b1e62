/**
 * The web UI's files, built into dist/ui by `npm run build`, served by the
 * engine itself: no second server, nothing fetched from elsewhere. Every file
 * is read once, when the UI is first asked for, into a table keyed by its URL
 * path, so no part of a request ever becomes a path on disk. Not at start: an
 * engine whose UI nobody opens would keep the files and their gzipped copies
 * (~0.5 MB) for nothing. A page of the UI (any path outside /api/ without a
 * file extension) gets index.html: the UI routes itself.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join, relative, sep } from "node:path";
import { gzipSync } from "node:zlib";
import { packageFile } from "../files/package-root.js";

/** dist/src/api/static-ui.js → dist/ui */
const UI_DIR = packageFile("dist", "ui");

/**
 * The UI's own files and nothing else: no inline script or style, requests
 * only to this engine, not framed by any page.
 */
export const UI_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".woff2": "font/woff2",
};

export interface UiFile {
  body: Buffer;
  /** The same, gzipped, when that is smaller. */
  gzip: Buffer | undefined;
  type: string;
  /** Hashed file names never change content: a browser may keep them for a year. */
  immutable: boolean;
}

export interface UiAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer | string;
}

export class StaticUi {
  private table: Map<string, UiFile> | undefined;

  constructor(private readonly dir: string = UI_DIR) {}

  get built(): boolean {
    return this.files.has("/index.html");
  }

  private get files(): Map<string, UiFile> {
    this.table ??= readUi(this.dir);
    return this.table;
  }

  /** The answer to GET `path` (no query), or undefined when it is not the UI's to answer. */
  answer(path: string, acceptEncoding: string | undefined): UiAnswer | undefined {
    if (path === "/api" || path.startsWith("/api/")) return undefined;
    const isPage = extname(path) === "";
    if (!this.built) {
      if (!isPage) return undefined;
      return {
        status: 503,
        headers: { "content-type": "text/plain; charset=utf-8" },
        body: "The web UI was not built: run npm run build in Spire's folder, then restart the engine.\n",
      };
    }
    const file = isPage ? this.files.get("/index.html") : this.files.get(path);
    if (!file || path === "/index.html") return undefined;
    const gzip = file.gzip && /\bgzip\b/.test(acceptEncoding ?? "");
    return {
      status: 200,
      headers: {
        "content-type": file.type,
        "content-security-policy": UI_CSP,
        "cache-control": file.immutable ? "public, max-age=31536000, immutable" : "no-cache",
        vary: "accept-encoding",
        ...(gzip ? { "content-encoding": "gzip" } : {}),
      },
      body: gzip ? file.gzip! : file.body,
    };
  }
}

function readUi(dir: string): Map<string, UiFile> {
  const files = new Map<string, UiFile>();
  if (!existsSync(join(dir, "index.html"))) return files;
  for (const path of walk(dir)) {
    const url = "/" + relative(dir, path).split(sep).join("/");
    const body = readFileSync(path);
    const zipped = gzipSync(body, { level: 9 });
    files.set(url, {
      body,
      gzip: zipped.length < body.length ? zipped : undefined,
      type: TYPES[extname(path)] ?? "application/octet-stream",
      immutable: url.startsWith("/assets/"),
    });
  }
  return files;
}

function* walk(dir: string): Generator<string> {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) yield* walk(path);
    else yield path;
  }
}
