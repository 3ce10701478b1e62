/**
 * Where each part of a translated file came from. A foreign file (prunner,
 * Gator) is translated into Spire's shape and then checked like any Spire
 * file; the checks speak of Spire key paths (`tasks.lint.run`), and this
 * map takes every error back to the node of the original file
 * (`tasks.lint.script[1]`), position and key path both.
 */
import { formatKeyPath, type DefinitionError, type PathSegment } from "../errors.js";
import { noDocument, SourceMap, type Located, type Position } from "../positions.js";

interface Origin {
  original: PathSegment[];
  /** The subtree maps key for key (an env mapping, a list item by item): the rest of a path carries over. */
  deep: boolean;
}

export class Origins {
  private readonly byKey = new Map<string, Origin>();
  private readonly byText = new Map<string, Origin>();

  /** `spire` was made from the node at `original`. */
  add(spire: PathSegment[], original: PathSegment[], deep = false): void {
    const origin = { original, deep };
    this.byKey.set(JSON.stringify(spire), origin);
    this.byText.set(formatKeyPath(spire), origin);
  }

  /** The original node for a Spire path: its own record, else the nearest recorded ancestor's. */
  resolve(spire: readonly PathSegment[]): { path: PathSegment[]; exact: boolean } {
    for (let length = spire.length; length >= 0; length--) {
      const origin = this.byKey.get(JSON.stringify(spire.slice(0, length)));
      if (origin === undefined) continue;
      if (length === spire.length) return { path: origin.original, exact: true };
      return origin.deep ? { path: [...origin.original, ...spire.slice(length)], exact: true } : { path: origin.original, exact: false };
    }
    return { path: [], exact: false };
  }

  /** A formatted Spire key path (as errors carry it) in the original file's terms. */
  keyPath(spireKeyPath: string): string {
    let best: { text: string; origin: Origin } | undefined;
    for (const [text, origin] of this.byText) {
      const boundary = spireKeyPath.length === text.length || spireKeyPath[text.length] === "." || spireKeyPath[text.length] === "[";
      if (spireKeyPath.startsWith(text) && boundary && (best === undefined || text.length > best.text.length)) best = { text, origin };
    }
    if (best === undefined) return spireKeyPath;
    const original = formatKeyPath(best.origin.original);
    if (!best.origin.deep || spireKeyPath.length === best.text.length) return original;
    const rest = spireKeyPath.slice(best.text.length);
    return original === "" ? rest.replace(/^\./, "") : `${original}${rest}`;
  }

  /** Errors found on the translated file, re-labelled with the original key paths. */
  relabel(errors: readonly DefinitionError[]): DefinitionError[] {
    return errors.map((error) => ({ ...error, keyPath: this.keyPath(error.keyPath) }));
  }
}

/** A SourceMap over the translated file that answers with places in the original one. */
export class TranslatedSourceMap extends SourceMap {
  constructor(
    private readonly original: SourceMap,
    private readonly origins: Origins,
  ) {
    super(noDocument);
  }

  override position(offset: number): Position {
    return this.original.position(offset);
  }

  override locate(path: readonly PathSegment[], at: "value" | "key" = "value"): Located {
    const { path: original, exact } = this.origins.resolve(path);
    // A Spire key with no counterpart (e.g. `fail_fast`, made from a default) is shown at the key of what it came from.
    return this.original.locate(original, exact ? at : "key");
  }

  override locateInScalar(path: readonly PathSegment[], text: string, source: string, occurrence = 0): Position | undefined {
    const { path: original, exact } = this.origins.resolve(path);
    return exact ? this.original.locateInScalar(original, text, source, occurrence) : undefined;
  }

  override pathAt(offset: number): PathSegment[] {
    return this.original.pathAt(offset);
  }
}
