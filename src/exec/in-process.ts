/**
 * Tasks an executor does itself instead of starting a process: `http:` (one
 * request) and `sql:` (statements through a database driver). Every
 * executor, local, supervised or on a worker, hands them here first.
 */
import type { LaunchEvents, LaunchSpec, TaskHandle } from "./port.js";
import { launchHttp } from "./http/http-attempt.js";
import { launchSql } from "./sql/sql-attempt.js";

/** The handle of an in-process task, or undefined when the spec is for a process. */
export function launchInProcess(spec: LaunchSpec, events: LaunchEvents): TaskHandle | undefined {
  if (spec.http) return launchHttp({ ...spec, http: spec.http }, events);
  if (spec.sql) return launchSql({ ...spec, sql: spec.sql }, events);
  return undefined;
}
