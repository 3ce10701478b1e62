/**
 * The templates of `spire init`: names and one line each (for --help,
 * --list and the choices), without reading the files, so that the command
 * line stays light. Each is templates/NAME.yaml in the package.
 */
export interface InitTemplate {
  name: string;
  /** Its one pipeline, for the next steps printed after writing it. */
  pipeline: string;
  summary: string;
}

export const INIT_TEMPLATES: readonly InitTemplate[] = [
  { name: "blank", pipeline: "hello", summary: "one small pipeline to start from, every common key explained, the alternatives commented out" },
  { name: "backup", pipeline: "backup", summary: "a nightly .tar.gz of a folder, checked, and only the newest few kept" },
  { name: "monitor", pipeline: "monitor", summary: "every 5 minutes: is a web page up, is there disk space left; notify on failure" },
  { name: "etl", pipeline: "etl", summary: "a CSV extracted, cleaned and loaded into SQLite with Python, then a summary" },
];

export const DEFAULT_TEMPLATE = "blank";
