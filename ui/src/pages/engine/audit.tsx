/**
 * The audit log, newest first, filtered by actor, action, target and date
 * (in the URL). The filters the engine's GET /audit takes are sent to it;
 * the others are applied here, reading on page by page until a page's
 * worth matches, at most SCAN_STEP entries per "Load more".
 */
import { useEffect, useMemo, useState } from "preact/hooks";
import { signal } from "@preact/signals";
import { isAdmin } from "../../api/session";
import { CardBody, CardHead, CardRow, CardTable, Cell, ColumnHeader } from "../../components/card-table";
import { shortRunId } from "../../format/run-id";
import { paths } from "../../router/routes";
import { ErrorMessage } from "../../components/error-message";
import { RelativeTime } from "../../components/time-label";
import { currentQuery, setQuery } from "../../router/router";
import { showUtc } from "../../time/zone-choice";
import { queryParameters } from "../runs/capabilities";
import { endOfDay, startOfDay } from "../runs/filters";
import { ScannedPages } from "../runs/scan";
import { AdminNote } from "./admin-note";
import { listAudit, type AuditEntry } from "./api";

const PAGE_SIZE = 100;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

interface AuditFilters {
  actor: string;
  action: string;
  target: string;
  from: string;
  to: string;
}

function filtersFrom(query: URLSearchParams): AuditFilters {
  const day = (key: string) => (DAY.test(query.get(key) ?? "") ? query.get(key)! : "");
  return { actor: query.get("actor") ?? "", action: query.get("action") ?? "", target: query.get("target") ?? "", from: day("from"), to: day("to") };
}

/** The filters a newer engine's GET /audit takes ("before" is its paging cursor; until: before that instant). */
const PARAMS: Record<keyof AuditFilters, string> = { actor: "actor", action: "action", target: "target", from: "since", to: "until" };

/** As the engine matches: the whole value, and `run.*` for every action that starts with `run.`. */
function sameAs(value: string, wanted: string): boolean {
  return wanted.endsWith(".*") ? value.startsWith(wanted.slice(0, -1)) : value === wanted;
}

class AuditList {
  readonly entries = signal<AuditEntry[]>([]);
  private readonly pages: ScannedPages<AuditEntry, number>;
  readonly status: ScannedPages<AuditEntry, number>["status"];
  private server: Record<string, string> = {};
  private matches: (entry: AuditEntry) => boolean = () => true;
  private readonly ready: Promise<void>;
  private after: number | undefined;

  constructor(filters: AuditFilters, utc: boolean) {
    this.after = filters.from ? startOfDay(filters.from, utc) : undefined;
    const before = filters.to ? endOfDay(filters.to, utc) : undefined;
    this.ready = queryParameters("GET", "/audit").then((accepted) => {
      const pick = (key: keyof AuditFilters) => (accepted.has(PARAMS[key]) ? PARAMS[key] : undefined);
      const local: ((entry: AuditEntry) => boolean)[] = [];
      for (const key of ["actor", "action", "target"] as const) {
        const value = filters[key].trim();
        if (!value) continue;
        const param = pick(key);
        if (param) this.server[param] = value;
        else local.push((entry) => sameAs(entry[key], value));
      }
      const fromParam = pick("from");
      const toParam = pick("to");
      if (this.after !== undefined) {
        if (fromParam) this.server[fromParam] = new Date(this.after).toISOString();
        else local.push((entry) => Date.parse(entry.ts) >= this.after!);
      }
      if (before !== undefined) {
        if (toParam) this.server[toParam] = new Date(before).toISOString();
        else local.push((entry) => Date.parse(entry.ts) < before);
      }
      this.matches = (entry) => local.every((test) => test(entry));
      this.pages.setFiltering(local.length > 0);
    });
    this.pages = new ScannedPages(this.ready, () => ({
      fetch: async (limit, cursor) => {
        const page = await listAudit({ ...this.server, limit, before: cursor ?? undefined });
        return { items: page.entries, next: page.next_cursor };
      },
      matches: this.matches,
      filtering: this.status.peek().filtering,
      pageSize: PAGE_SIZE,
      time: (entry) => Date.parse(entry.ts),
      after: this.after,
      onMatches: (fresh) => (this.entries.value = [...this.entries.peek(), ...fresh]),
    }));
    this.status = this.pages.status;
  }

  dispose(): void {
    this.pages.dispose();
  }

  loadMore(): Promise<void> {
    return this.pages.loadMore();
  }
}

function detailText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** The entry's run, linked, when it names one. */
function runOf(entry: AuditEntry): string | undefined {
  const run = entry.details["run"];
  if (typeof run === "string") return run;
  return /^[0-9a-z]{16}$/.test(entry.target) ? entry.target : undefined;
}

function Details({ entry }: { entry: AuditEntry }) {
  // A null detail is an option the action was not given (a retry without --from): nothing to say.
  const entries = Object.entries(entry.details).filter(([key, value]) => value !== null && (key !== "run" || typeof value !== "string"));
  const run = runOf(entry);
  const text = entries.map(([key, value]) => `${key}: ${detailText(value)}`);
  const short = text.join(" · ");
  const link = run && (
    <>
      run <a href={paths.run(run)}>{shortRunId(run)}</a>
      {short ? " · " : ""}
    </>
  );
  if (!run && entries.length === 0) return <span class="muted">—</span>;
  if (short.length <= 120)
    return (
      <span class="audit-details">
        {link}
        {short}
      </span>
    );
  return (
    <details class="audit-details">
      <summary>
        {link}
        {short.slice(0, 100)}…
      </summary>
      <ul>
        {text.map((line) => (
          <li key={line}>{line}</li>
        ))}
      </ul>
    </details>
  );
}

type Seen = Record<"actor" | "action" | "target", string[]>;

function AuditFilterBar({ filters, seen, utc }: { filters: AuditFilters; seen: Seen; utc: boolean }) {
  // What is typed, applied when the field is left or Enter is pressed.
  const [draft, setDraft] = useState(filters);
  useEffect(() => setDraft(filters), [JSON.stringify(filters)]);
  const text = (key: "actor" | "action" | "target", label: string, placeholder: string) => (
    <div class="filters__field">
      <label for={`audit-${key}`}>{label}</label>
      <input
        id={`audit-${key}`}
        type="search"
        list={`audit-${key}-seen`}
        value={draft[key]}
        placeholder={placeholder}
        autoComplete="off"
        spellcheck={false}
        onInput={(event) => setDraft({ ...draft, [key]: event.currentTarget.value })}
        onChange={(event) => setQuery({ [key]: event.currentTarget.value.trim() })}
        onKeyDown={(event) => {
          if (event.key === "Enter") setQuery({ [key]: event.currentTarget.value.trim() });
        }}
        aria-describedby="audit-dates-hint"
      />
      {/* Suggestions: the values of the entries read so far. */}
      <datalist id={`audit-${key}-seen`}>
        {seen[key].map((value) => (
          <option key={value} value={value} />
        ))}
      </datalist>
    </div>
  );
  const any = Object.values(filters).some(Boolean);
  return (
    <form class="filters" role="search" aria-label="Audit log" onSubmit={(event) => event.preventDefault()}>
      {text("actor", "Actor", "who")}
      {text("action", "Action", "apply, run.*…")}
      {text("target", "Target", "ns/pipeline, a run id…")}
      <div class="filters__field">
        <label for="audit-from">From</label>
        <input id="audit-from" type="date" value={filters.from} max={filters.to || undefined} onChange={(event) => setQuery({ from: event.currentTarget.value })} aria-describedby="audit-dates-hint" />
      </div>
      <div class="filters__field">
        <label for="audit-to">To</label>
        <input id="audit-to" type="date" value={filters.to} min={filters.from || undefined} onChange={(event) => setQuery({ to: event.currentTarget.value })} aria-describedby="audit-dates-hint" />
      </div>
      <p id="audit-dates-hint" class="filters__hint muted">
        Actor, action and target match whole (an action such as <code>run.*</code> stands for all of <code>run.</code>); days in {utc ? "UTC" : "your time zone"}, both included.
      </p>
      {any && (
        <button type="button" class="button button--quiet" onClick={() => setQuery({ actor: "", action: "", target: "", from: "", to: "" })}>
          Clear filters
        </button>
      )}
    </form>
  );
}

export function Audit() {
  const admin = isAdmin.value;
  const utc = showUtc.value;
  const filters = filtersFrom(currentQuery.value);
  const key = JSON.stringify([filters, utc]);
  const list = useMemo(() => new AuditList(filters, utc), [key]);
  const [seen, setSeen] = useState<Seen>({ actor: [], action: [], target: [] });

  useEffect(() => {
    if (!admin) return;
    void list.loadMore();
    return () => list.dispose();
  }, [list, admin]);

  const entries = list.entries.value;
  const status = list.status.value;
  // Suggestions for the filters: the values seen so far.
  useEffect(() => {
    const add = (old: string[], key: keyof Seen) => [...new Set([...old, ...entries.map((entry) => entry[key])])].sort();
    setSeen((old) => ({ actor: add(old.actor, "actor"), action: add(old.action, "action"), target: add(old.target, "target").slice(0, 500) }));
  }, [entries]);

  return (
    <section class="panel" id="audit" aria-labelledby="audit-title">
      <h2 id="audit-title">Audit log</h2>
      {!admin ? (
        <AdminNote what="The audit log" />
      ) : (
        <>
          <AuditFilterBar filters={filters} seen={seen} utc={utc} />
          <p class="muted" role="status">
            {status.loading && entries.length === 0
              ? "Loading…"
              : `${entries.length} ${entries.length === 1 ? "entry" : "entries"}${status.filtering ? `, from ${status.scanned.toLocaleString()} looked through` : ""}${status.done ? "" : " so far"}`}
          </p>
          {status.error !== undefined && <ErrorMessage error={status.error} />}
          {entries.length > 0 && (
            <div class="table-scroll">
              <CardTable class="data-table stack-table audit-table" aria-labelledby="audit-title">
                <CardHead>
                  <CardRow>
                    <ColumnHeader>When</ColumnHeader>
                    <ColumnHeader>Actor</ColumnHeader>
                    <ColumnHeader>Action</ColumnHeader>
                    <ColumnHeader>Target</ColumnHeader>
                    <ColumnHeader>Details</ColumnHeader>
                  </CardRow>
                </CardHead>
                <CardBody>
                  {entries.map((entry) => (
                    <CardRow key={entry.seq}>
                      <Cell label="When">
                        <RelativeTime time={entry.ts} />
                      </Cell>
                      <Cell label="Actor">{entry.actor}</Cell>
                      <Cell label="Action">
                        <code>{entry.action}</code>
                      </Cell>
                      <Cell label="Target" class="audit-target">
                        {/^[a-z0-9][\w-]*\/[a-z0-9][\w-]*$/i.test(entry.target) ? <a href={paths.pipeline(...(entry.target.split("/") as [string, string]))}>{entry.target}</a> : entry.target}
                      </Cell>
                      <Cell label="Details">
                        <Details entry={entry} />
                      </Cell>
                    </CardRow>
                  ))}
                </CardBody>
              </CardTable>
            </div>
          )}
          {!status.done && (entries.length > 0 || status.scanned > 0) && (
            <button type="button" class="button" disabled={status.loading} onClick={() => void list.loadMore()}>
              {status.loading ? "Loading…" : "Load more"}
            </button>
          )}
        </>
      )}
    </section>
  );
}
