/**
 * The engine itself: version, state and uptime (GET /health, open to all),
 * and, where the engine has GET /engine, its store, supervisor, capacity in
 * use and queue lengths.
 */
import { useEffect, useState } from "preact/hooks";
import { ApiError, messageOf } from "../../api/api-error";
import { formatDuration } from "../../time/format";
import { now } from "../../time/now";
import { hasRoute } from "../runs/capabilities";
import { getEngineInfo, getHealth, type Health } from "./api";

function words(key: string): string {
  const text = key.replace(/_/g, " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** A used/total pair ({ used, total } or { in_use, capacity }…) as "3 of 8", with a meter. */
function usage(value: Record<string, unknown>): { used: number; total: number | null } | undefined {
  const used = [value["used"], value["in_use"], value["held"], value["running"]].find((entry) => typeof entry === "number") as number | undefined;
  const total = [value["total"], value["capacity"], value["limit"], value["max"]].find((entry) => typeof entry === "number" || entry === null) as number | null | undefined;
  if (used === undefined || total === undefined) return undefined;
  return { used, total };
}

function scalarText(key: string, value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (typeof value === "number") {
    if (/_ms$/.test(key)) return formatDuration(value);
    if (/bytes$/.test(key)) return `${(value / 1024 / 1024).toFixed(value >= 10 * 1024 * 1024 ? 0 : 1)} MiB`;
    return value.toLocaleString();
  }
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (Array.isArray(value)) return value.length === 0 ? "none" : value.map((entry) => (isRecord(entry) ? JSON.stringify(entry) : String(entry))).join(", ");
  return String(value);
}

/** Whatever GET /engine sends, read generically: nested objects as groups, used/total pairs as meters. */
function Facts({ value, depth = 0 }: { value: Record<string, unknown>; depth?: number }) {
  return (
    <dl class={`facts engine-facts engine-facts--${depth}`}>
      {Object.entries(value).map(([key, item]) => {
        const pair = isRecord(item) ? usage(item) : undefined;
        return (
          <div key={key}>
            <dt>{words(key)}</dt>
            <dd>
              {pair ? (
                <span class="usage">
                  {pair.total !== null && pair.total > 0 && <meter min={0} max={pair.total} value={pair.used} aria-hidden="true" />}
                  {scalarText(key, pair.used)}
                  {pair.total !== null ? ` of ${scalarText(key, pair.total)}` : " (no limit)"}
                </span>
              ) : isRecord(item) && depth < 2 ? (
                <Facts value={item} depth={depth + 1} />
              ) : (
                scalarText(key, isRecord(item) ? JSON.stringify(item) : item)
              )}
            </dd>
          </div>
        );
      })}
    </dl>
  );
}

export function EngineInfo() {
  const [health, setHealth] = useState<{ health: Health; at: number } | undefined>();
  const [healthError, setHealthError] = useState<string | null>(null);
  const [info, setInfo] = useState<Record<string, unknown> | null | undefined>();
  const [infoError, setInfoError] = useState<unknown>();

  async function load() {
    try {
      setHealth({ health: await getHealth(), at: Date.now() });
      setHealthError(null);
    } catch (error) {
      // 503 while draining still carries the body; anything else is said as is.
      setHealthError(messageOf(error));
    }
    try {
      if (!(await hasRoute("GET", "/engine"))) {
        setInfo(null);
        return;
      }
      setInfo(await getEngineInfo());
      setInfoError(undefined);
    } catch (error) {
      setInfoError(error);
    }
  }

  useEffect(() => {
    void load();
    // Capacity and queues move: read them again every 10 s while the page is open and visible.
    const timer = setInterval(() => {
      if (document.visibilityState === "visible") void load();
    }, 10_000);
    return () => clearInterval(timer);
  }, []);

  const clock = now.value;
  const uptime = health ? health.health.uptime_ms + Math.max(0, clock - health.at) : undefined;
  const forbidden = infoError instanceof ApiError && infoError.status === 403;

  return (
    <section class="panel" id="engine" aria-labelledby="engine-title">
      <h2 id="engine-title">The engine</h2>
      {healthError && (
        <p class="notice notice--error" role="alert">
          {healthError}
        </p>
      )}
      {health && (
        <dl class="facts">
          <div>
            <dt>Version</dt>
            <dd>{health.health.version}</dd>
          </div>
          <div>
            <dt>State</dt>
            <dd>{health.health.status === "ok" ? "running" : "draining: finishing its runs before it stops"}</dd>
          </div>
          <div>
            <dt>Up for</dt>
            <dd>{formatDuration(uptime)}</dd>
          </div>
          <div>
            <dt>Address</dt>
            <dd>
              <code>{location.origin}</code>
            </dd>
          </div>
        </dl>
      )}
      {info === null && <p class="muted engine-more">This engine does not report its store, supervisor, capacity or queues (it has no GET /api/v1/engine).</p>}
      {forbidden ? (
        <p class="admin-note">Its store, capacity and queues need a higher scope.</p>
      ) : (
        infoError !== undefined && (
          <p class="notice notice--error" role="alert">
            {messageOf(infoError)}
          </p>
        )
      )}
      {info && <Facts value={info} />}
    </section>
  );
}
