/** Planning errors: all of them are collected, each reported once. */

export interface PlanError {
  /** Key path from the file root to the task concerned: ["pipelines", "p", "tasks", "a", "group", "b"]. */
  keyPath: (string | number)[];
  /** The field holding the bad reference, when there is one: "needs" (covers on_pass, depends_on), "on_fail", "on_done", "env.KEY", "exec[2]", "cwd", … */
  field?: string;
  /** The name as written, for unknown references. */
  reference?: string;
  code: "unknown_task" | "cycle" | "self_reference" | "not_upstream" | "duplicate_path" | "too_many_tasks";
  message: string;
  /** "did you mean …?" candidate. */
  suggestion?: string;
  /** What to do, when it is not a name to use instead. */
  hint?: string;
}

/**
 * Collects errors without repeats: every copy of an array shares the
 * definition it came from, so a mistake in it would otherwise be reported
 * once per copy.
 */
export class ErrorList {
  readonly errors: PlanError[] = [];
  private readonly seen = new Set<string>();

  add(error: PlanError): void {
    const key = [error.code, error.keyPath.join("\u0000"), error.field ?? "", error.reference ?? "", error.message].join("\u0001");
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.errors.push(error);
  }
}

