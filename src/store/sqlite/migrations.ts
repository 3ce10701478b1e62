/**
 * The SQLite schema, as numbered migrations. Append only: a migration that
 * has shipped is never edited; a change is a new entry with the next number.
 * (TypeScript strings, not .sql files, so they reach dist/.)
 *
 * Conventions: times are epoch milliseconds (INTEGER), JSON is TEXT,
 * booleans are 0/1.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const initial = `
CREATE TABLE namespaces (
  name        TEXT PRIMARY KEY,
  origin      TEXT NOT NULL,
  metadata    TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);

-- Definitions. Runs do not reference this table: history outlives definitions.
CREATE TABLE pipelines (
  namespace   TEXT NOT NULL,
  name        TEXT NOT NULL,
  definition  TEXT NOT NULL,
  digest      TEXT NOT NULL,
  paused      INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  PRIMARY KEY (namespace, name)
);

CREATE TABLE runs (
  id          TEXT PRIMARY KEY,
  namespace   TEXT NOT NULL,
  pipeline    TEXT NOT NULL,
  state       TEXT NOT NULL,
  "trigger"   TEXT NOT NULL,
  args        TEXT NOT NULL,
  definition  TEXT NOT NULL,
  "partition" TEXT,
  reason      TEXT,
  created_at  INTEGER NOT NULL,
  started_at  INTEGER,
  finished_at INTEGER,
  warnings    INTEGER NOT NULL DEFAULT 0,
  errors      INTEGER NOT NULL DEFAULT 0,
  metrics     TEXT NOT NULL
);
-- History is listed newest first: overall, per pipeline, per state.
CREATE INDEX runs_by_time ON runs (created_at DESC, id DESC);
CREATE INDEX runs_by_pipeline ON runs (namespace, pipeline, created_at DESC, id DESC);
CREATE INDEX runs_by_state ON runs (state, created_at DESC, id DESC);

CREATE TABLE task_runs (
  run_id          TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  path            TEXT NOT NULL,
  attempt         INTEGER NOT NULL,
  state           TEXT NOT NULL,
  exit_code       INTEGER,
  signal          TEXT,
  reason          TEXT,
  pid             INTEGER,
  started_at      INTEGER,
  finished_at     INTEGER,
  cpu_ms          INTEGER,
  peak_rss_bytes  INTEGER,
  warnings        INTEGER NOT NULL DEFAULT 0,
  errors          INTEGER NOT NULL DEFAULT 0,
  metrics         TEXT NOT NULL,
  outputs         TEXT NOT NULL,
  log_file        TEXT,
  PRIMARY KEY (run_id, path, attempt)
);

-- The one stream every reader follows (SSE, CLI, UI, notifications).
-- AUTOINCREMENT: a seq is never reused, even after retention deletes the newest rows,
-- so a client resuming with Last-Event-ID never skips an event.
CREATE TABLE events (
  seq       INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id    TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  ts        INTEGER NOT NULL,
  type      TEXT NOT NULL,
  task_path TEXT,
  attempt   INTEGER,
  data      TEXT NOT NULL
);
CREATE INDEX events_by_run ON events (run_id, seq);

-- Append-only: retention may delete events, nothing may rewrite one.
CREATE TRIGGER events_are_append_only BEFORE UPDATE ON events
BEGIN
  SELECT RAISE(ABORT, 'events are append-only');
END;
`;

const tokensAndAudit = `
-- API tokens, by JWT id. The JWT is never stored: only its record.
CREATE TABLE tokens (
  id           TEXT PRIMARY KEY,
  name         TEXT NOT NULL,
  scope        TEXT NOT NULL CHECK (scope IN ('read', 'run', 'admin')),
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER,
  revoked_at   INTEGER,
  last_used_at INTEGER
);
-- A name picks out one live token (to revoke it); revoked ones free their name.
CREATE UNIQUE INDEX tokens_live_name ON tokens (name) WHERE revoked_at IS NULL;
CREATE INDEX tokens_by_time ON tokens (created_at DESC, id DESC);

-- AUTOINCREMENT: a seq is never reused, so a paging cursor stays valid.
CREATE TABLE audit (
  seq     INTEGER PRIMARY KEY AUTOINCREMENT,
  ts      INTEGER NOT NULL,
  actor   TEXT NOT NULL,
  action  TEXT NOT NULL,
  target  TEXT NOT NULL,
  details TEXT NOT NULL
);

-- Append-only: retention may delete entries, nothing may rewrite one.
CREATE TRIGGER audit_is_append_only BEFORE UPDATE ON audit
BEGIN
  SELECT RAISE(ABORT, 'audit is append-only');
END;

-- Queue policy counts a pipeline's queued and running runs on every trigger;
-- runs_by_pipeline would walk its whole history for that.
CREATE INDEX runs_by_pipeline_state ON runs (namespace, pipeline, state);
`;

// Trigger slots (SPEC §6): a slot (pipeline, trigger, scheduled time) starts at
// most one run, across restarts and across engines sharing the store. The
// primary key of `slots` is that promise; `schedules.last_slot` only moves
// forwards, so a clock stepped back cannot hand out an old slot again.
const schedulesAndSlots = `
CREATE TABLE schedules (
  namespace    TEXT NOT NULL,
  pipeline     TEXT NOT NULL,
  trigger_key  TEXT NOT NULL,
  anchor       INTEGER NOT NULL,
  last_slot    INTEGER,
  PRIMARY KEY (namespace, pipeline, trigger_key)
);

CREATE TABLE slots (
  namespace    TEXT NOT NULL,
  pipeline     TEXT NOT NULL,
  trigger_key  TEXT NOT NULL,
  slot         INTEGER NOT NULL,
  outcome      TEXT NOT NULL CHECK (outcome IN ('run', 'missed')),
  run_id       TEXT REFERENCES runs (id) ON DELETE SET NULL,
  recorded_at  INTEGER NOT NULL,
  PRIMARY KEY (namespace, pipeline, trigger_key, slot)
);
`;

// Slots that did not run (SPEC §2 catchup: each emits a `missed` event). One
// row per trigger per look, however many slots it covers: a month of downtime
// under `every: 1s` is one row with a count, not millions. Missed slots are no
// longer written to `slots` (schedules.last_slot already covers them).
const missedSlots = `
CREATE TABLE missed (
  seq          INTEGER PRIMARY KEY AUTOINCREMENT,
  namespace    TEXT NOT NULL,
  pipeline     TEXT NOT NULL,
  trigger_key  TEXT NOT NULL,
  detected_at  INTEGER NOT NULL,
  count        INTEGER NOT NULL CHECK (count > 0),
  count_exact  INTEGER NOT NULL CHECK (count_exact IN (0, 1)),
  first_slot   INTEGER NOT NULL,
  last_slot    INTEGER NOT NULL,
  slots        TEXT NOT NULL,
  reason       TEXT NOT NULL,
  run_id       TEXT REFERENCES runs (id) ON DELETE SET NULL
);
CREATE INDEX missed_by_pipeline ON missed (namespace, pipeline, seq DESC);
CREATE INDEX missed_by_run ON missed (run_id) WHERE run_id IS NOT NULL;
`;

// Retention deletes whole runs. slots.run_id is set to NULL for each deleted run
// (its foreign key): without an index that is a scan of every slot per run.
const runRemoval = `
CREATE INDEX slots_by_run ON slots (run_id) WHERE run_id IS NOT NULL;
`;

// `after` triggers: a finished run starts each of its followers once, across
// crashes. after_pending holds the runs whose followers are still to be made,
// written in the transaction that records the run's end and removed once every
// follower is made (or refused for good). after_follows is the promise that a
// follower trigger makes at most one run per finished run: its row is written
// in the transaction that makes that run. Both go with the finished run
// (retention): an after_follows row outlives its pending record, which an
// engine may still be following (see settleFollowers); run_id is for the
// record only (no key: the follower run may be removed first).
const afterFollows = `
CREATE TABLE after_pending (
  run_id       TEXT PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE
);

CREATE TABLE after_follows (
  source_run   TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  namespace    TEXT NOT NULL,
  pipeline     TEXT NOT NULL,
  trigger_key  TEXT NOT NULL,
  run_id       TEXT NOT NULL,
  recorded_at  INTEGER NOT NULL,
  PRIMARY KEY (source_run, namespace, pipeline, trigger_key)
);
`;

// Pages written per scheduled run (bench/fire: 1,100 runs a second). An index
// keyed by pipeline first puts each pipeline's entries on a page of its own
// once history has grown, so every run dirtied one such page per index per
// state change, and the commit and the checkpoint copied them all. Slots are
// keyed by time first: one instant's claims land side by side at the end of
// the tree (the key is the same set of columns, so the same promise), and the
// table is the tree (WITHOUT ROWID). The per-pipeline state index keeps only
// runs that are not finished: queue policy and recovery ask about those; a
// finished run leaves it, so it stays a few pages whatever the history.
const fewerPagesPerRun = `
CREATE TABLE slots_by_time (
  slot         INTEGER NOT NULL,
  namespace    TEXT NOT NULL,
  pipeline     TEXT NOT NULL,
  trigger_key  TEXT NOT NULL,
  outcome      TEXT NOT NULL CHECK (outcome IN ('run', 'missed')),
  run_id       TEXT REFERENCES runs (id) ON DELETE SET NULL,
  recorded_at  INTEGER NOT NULL,
  PRIMARY KEY (slot, namespace, pipeline, trigger_key)
) WITHOUT ROWID;
INSERT INTO slots_by_time (slot, namespace, pipeline, trigger_key, outcome, run_id, recorded_at)
  SELECT slot, namespace, pipeline, trigger_key, outcome, run_id, recorded_at FROM slots;
DROP TABLE slots;
ALTER TABLE slots_by_time RENAME TO slots;
CREATE INDEX slots_by_run ON slots (run_id) WHERE run_id IS NOT NULL;

DROP INDEX runs_by_pipeline_state;
CREATE INDEX runs_unfinished_by_pipeline ON runs (namespace, pipeline, state) WHERE state IN ('queued', 'running');
`;

// The texts of each attempt's first warnings and errors (at most 100 of each,
// 1,000 characters each), as one JSON array per attempt that has any. Apart
// from task_runs: most attempts have none, task rows are rewritten at every
// state change and read by more than the run object, and the texts are written
// once, with the attempt's end. They go with their run (retention).
const taskMessages = `
CREATE TABLE task_messages (
  run_id    TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  path      TEXT NOT NULL,
  attempt   INTEGER NOT NULL,
  messages  TEXT NOT NULL,
  PRIMARY KEY (run_id, path, attempt)
) WITHOUT ROWID;
`;

// Browser sessions are tokens of their own kind (SPEC §5: listed and revoked
// like tokens): a session is made from the token or one-time link that asked
// for it (parent_id) and is revoked with it.
const sessions = `
ALTER TABLE tokens ADD COLUMN kind TEXT NOT NULL DEFAULT 'token' CHECK (kind IN ('token', 'session'));
ALTER TABLE tokens ADD COLUMN parent_id TEXT;
CREATE INDEX tokens_by_parent ON tokens (parent_id) WHERE parent_id IS NOT NULL;
`;

// Pages that show many pipelines with their newest runs (GET /pipelines?recent=,
// the web UI's home page) read only these columns: with them in the index no
// run row is read, where each row is mostly its definition, with its times
// after it (1,000 pipelines × 20 runs, measured: 80 ms with runs_by_pipeline,
// 50 with this, for the read as first written). It has the prefix of
// runs_by_pipeline, which it replaces.
// And who paused a pipeline, when and why (a person's pause, not only a lapsed
// spire watch lease), kept until it is resumed; and a pipeline's own lines of
// the file it was applied from (JSON: file, line, text), which a page shows as
// its definition.
const historyReads = `
CREATE INDEX runs_recent ON runs (namespace, pipeline, created_at DESC, id DESC, state, started_at, finished_at);
DROP INDEX runs_by_pipeline;
ALTER TABLE pipelines ADD COLUMN paused_at INTEGER;
ALTER TABLE pipelines ADD COLUMN paused_by TEXT;
ALTER TABLE pipelines ADD COLUMN paused_reason TEXT;
ALTER TABLE pipelines ADD COLUMN source TEXT;
`;

// Workers on other machines (issue 15). A worker program's token has a scope
// of its own, `worker`: SQLite cannot change a CHECK constraint in place, so
// the tokens table is made again with the same columns and indexes (nothing
// references it). And where each attempt ran: the worker's name, null for an
// attempt that never started or that ran before this column existed.
const workers = `
CREATE TABLE tokens_with_worker (
  id           TEXT PRIMARY KEY,
  name         TEXT NOT NULL,
  scope        TEXT NOT NULL CHECK (scope IN ('read', 'run', 'admin', 'worker')),
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER,
  revoked_at   INTEGER,
  last_used_at INTEGER,
  kind         TEXT NOT NULL DEFAULT 'token' CHECK (kind IN ('token', 'session')),
  parent_id    TEXT
);
INSERT INTO tokens_with_worker (id, name, scope, created_at, expires_at, revoked_at, last_used_at, kind, parent_id)
  SELECT id, name, scope, created_at, expires_at, revoked_at, last_used_at, kind, parent_id FROM tokens;
DROP TABLE tokens;
ALTER TABLE tokens_with_worker RENAME TO tokens;
CREATE UNIQUE INDEX tokens_live_name ON tokens (name) WHERE revoked_at IS NULL;
CREATE INDEX tokens_by_time ON tokens (created_at DESC, id DESC);
CREATE INDEX tokens_by_parent ON tokens (parent_id) WHERE parent_id IS NOT NULL;

ALTER TABLE task_runs ADD COLUMN worker TEXT;
`;

/** SPIRE_SEED: each run's, kept so that a retry replays it. Runs from before have none (NULL). */
const runSeeds = `
ALTER TABLE runs ADD COLUMN seed INTEGER;
`;

/** `spire watch` leases, kept so that an engine started again knows each term's holder (watch-leases.ts). */
const watchLeases = `
CREATE TABLE watch_leases (
  namespace  TEXT NOT NULL,
  name       TEXT NOT NULL,
  holder     TEXT,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (namespace, name)
) WITHOUT ROWID;
`;

/** Each pipeline's webhook token generation, once it was changed (spire hook --rotate); kept when the pipeline goes. */
const hookGenerations = `
CREATE TABLE hook_generations (
  namespace  TEXT NOT NULL,
  pipeline   TEXT NOT NULL,
  generation INTEGER NOT NULL,
  PRIMARY KEY (namespace, pipeline)
) WITHOUT ROWID;
`;

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: "initial", sql: initial },
  { version: 2, name: "tokens_audit", sql: tokensAndAudit },
  { version: 3, name: "schedules_slots", sql: schedulesAndSlots },
  { version: 4, name: "missed", sql: missedSlots },
  { version: 5, name: "run_removal", sql: runRemoval },
  { version: 6, name: "after_follows", sql: afterFollows },
  { version: 7, name: "fewer_pages_per_run", sql: fewerPagesPerRun },
  { version: 8, name: "task_messages", sql: taskMessages },
  { version: 9, name: "sessions", sql: sessions },
  { version: 10, name: "history_reads", sql: historyReads },
  { version: 11, name: "workers", sql: workers },
  { version: 12, name: "run_seeds", sql: runSeeds },
  { version: 13, name: "watch_leases", sql: watchLeases },
  { version: 14, name: "hook_generations", sql: hookGenerations },
];
