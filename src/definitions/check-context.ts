/** What every semantic check needs: where errors go and how to place them. */
import type { DefinitionError, PathSegment } from "./errors.js";
import { formatKeyPath } from "./errors.js";
import type { Position, SourceMap } from "./positions.js";

export class CheckContext {
  readonly errors: DefinitionError[] = [];

  constructor(
    readonly file: string,
    readonly source: string,
    readonly map: SourceMap,
  ) {}

  /** Reports an error at the value (or key) at `path`; `position` overrides the place, e.g. inside a string. */
  report(path: PathSegment[], message: string, extra: Partial<DefinitionError> = {}, position?: Position, at: "value" | "key" = "value"): void {
    this.errors.push({
      file: this.file,
      ...(position ?? this.map.locate(path, at).position),
      keyPath: formatKeyPath(path),
      message,
      ...extra,
    });
  }

  /** Reports a warning: something that will not work as meant, which still lets the file be applied. */
  warn(path: PathSegment[], message: string, extra: Partial<DefinitionError> = {}, position?: Position): void {
    this.report(path, message, { ...extra, severity: "warning" }, position);
  }

  /** The position of `text` inside the string at `path`, else of the string itself. */
  inside(path: PathSegment[], text: string): Position {
    return this.map.locateInScalar(path, text, this.source) ?? this.map.locate(path).position;
  }
}
