/**
 * Files and folders watched for changes, with bursts debounced into one
 * call. Folders are watched recursively, including folders made later.
 *
 * Why chokidar (v4) and not `fs.watch(dir, { recursive: true })`: on Linux,
 * Node 20's recursive watch is a JavaScript layer over one inotify watch per
 * folder that races with its own tree walk and misses events (nodejs/node
 * #48437, fixed only in later majors), and it throws on a path that does not
 * exist. chokidar does the same per-folder watching carefully (new
 * subfolders, atomic saves, removed folders), has one small dependency, and
 * runs on every Node the project supports (v5 needs Node 20.19).
 *
 * A path that does not exist yet is picked up when it appears: each target is
 * watched from the nearest folder above it that exists, and everything beside
 * the way down to the target is ignored (never walked). Watching from the
 * parent also keeps a target that is removed and made again.
 */
import { existsSync } from "node:fs";
import { dirname, sep } from "node:path";
import { watch, type FSWatcher } from "chokidar";

export interface PathWatchOptions {
  /** Absolute paths of files or folders. */
  targets: string[];
  /** A burst ends when no change came for this long. */
  debounceMs: number;
  /** A change for which this says true belongs to no burst (see watch-own-runs.ts). */
  muted?(path: string): boolean;
  /** Called once per burst with the changed paths (absolute, sorted, each once). */
  onBurst(paths: string[]): void;
  warn(message: string, details: object): void;
}

/** How long arming may hold up its caller; a larger tree goes on being armed after it. */
const READY_WAIT_MS = 5_000;

export class PathWatch {
  private readonly watcher: FSWatcher;
  private readonly changed = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Resolves when the initial walk is done (changes from then on are seen), or after READY_WAIT_MS. */
  readonly ready: Promise<void>;

  constructor(private readonly options: PathWatchOptions) {
    for (const target of options.targets) {
      if (!existsSync(target)) options.warn("a watched path does not exist yet: it is picked up when it appears", { path: target });
    }
    const roots = [...new Set(options.targets.map(existingParentOf))];
    this.watcher = watch(roots, {
      ignoreInitial: true,
      // Only the way down to a target and what is inside it; siblings are never walked.
      ignored: (path: string) => !options.targets.some((target) => onTheWay(path, target) || inside(path, target)),
    });
    this.watcher.on("all", (_event, path) => {
      if (options.targets.some((target) => inside(path, target))) this.note(path);
    });
    this.watcher.on("error", (error) => options.warn("a watched path cannot be watched", { error: String((error as Error).message ?? error) }));
    this.ready = new Promise((resolve) => {
      const timer = setTimeout(resolve, READY_WAIT_MS).unref();
      this.watcher.once("ready", () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.watcher.close();
  }

  private note(path: string): void {
    if (this.closed || this.options.muted?.(path)) return;
    this.changed.add(path);
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), this.options.debounceMs);
  }

  private flush(): void {
    this.timer = undefined;
    const paths = [...this.changed].sort();
    this.changed.clear();
    if (!this.closed && paths.length > 0) this.options.onBurst(paths);
  }
}

/** The nearest existing folder above a path (the filesystem root at worst). */
function existingParentOf(path: string): string {
  let parent = dirname(path);
  while (!existsSync(parent) && dirname(parent) !== parent) parent = dirname(parent);
  return parent;
}

/** `path` is the target or a folder above it. */
function onTheWay(path: string, target: string): boolean {
  return path === target || target.startsWith(withSep(path));
}

/** `path` is the target or anything below it. */
function inside(path: string, target: string): boolean {
  return path === target || path.startsWith(withSep(target));
}

function withSep(path: string): string {
  return path.endsWith(sep) ? path : path + sep;
}
