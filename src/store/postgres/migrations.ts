/**
 * The PostgreSQL schema, as numbered migrations of its own (SQLite's history
 * is its own too: the two need not change in step). Append only: a migration
 * that has shipped is never edited; a change is a new entry with the next
 * number. Needs PostgreSQL 13 or newer.
 *
 * Conventions, as in SQLite: times are epoch milliseconds (BIGINT), JSON is
 * TEXT — not jsonb, which refuses "\u0000" in a string, nor json, whose
 * operators refuse it anywhere in the document — and the few values the
 * database reads out of JSON have columns of their own (runs.trigger_kind,
 * pipelines.head). Names, ids and states are TEXT COLLATE "C": they order by
 * their bytes (code points), the same on every server and as in SQLite
 * whatever the database's collation, and an id prefix is an index range.
 */
import { taskLockHolds } from "./task-locks-migration.js";
import { placedRuns, startedRuns, waitingPlaces } from "./placed-runs-migration.js";

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** A text column compared and ordered by its bytes. */
const KEY = `TEXT COLLATE "C"`;

/**
 * Tables rewritten at every state change (runs, task_runs) or appended to
 * all day (events) would wait for autovacuum's default 20 % of dead rows
 * before it cleans them: under churn that is a table twice its size, and
 * indexes bloated with it. 2 % keeps them near their live size. A fillfactor
 * of 80 leaves room on each page, so that the new version of a row updated in
 * place lands beside the old one (a HOT update: task_runs' index keys never change).
 */
const CHURN = "autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.05";

const initial = `
-- Append-only tables refuse updates: retention may delete rows, nothing may rewrite one.
CREATE FUNCTION refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END
$$;

-- The next seq of each append-only stream. A sequence hands numbers out in
-- the order transactions ask for them, not the order they commit, so a
-- reader following a stream by seq could pass a number that commits later
-- and never see it. A writer takes its numbers by updating its stream's row,
-- and the row's lock, held to its commit, makes appends commit in seq order.
-- Never lowered: a seq is never reused, even after retention deletes the newest rows.
CREATE TABLE seq_counters (
  stream  ${KEY} PRIMARY KEY,
  value   BIGINT NOT NULL
);
INSERT INTO seq_counters (stream, value) VALUES ('events', 0), ('audit', 0), ('missed', 0);

CREATE TABLE namespaces (
  name        ${KEY} PRIMARY KEY,
  origin      TEXT NOT NULL,
  metadata    TEXT NOT NULL,
  created_at  BIGINT NOT NULL,
  updated_at  BIGINT NOT NULL
);

-- Definitions. Runs do not reference this table: history outlives definitions.
-- head: the definition's description and triggers as JSON, what lists show of it.
CREATE TABLE pipelines (
  namespace      ${KEY} NOT NULL,
  name           ${KEY} NOT NULL,
  definition     TEXT NOT NULL,
  head           TEXT NOT NULL,
  digest         TEXT NOT NULL,
  paused         BOOLEAN NOT NULL DEFAULT false,
  created_at     BIGINT NOT NULL,
  updated_at     BIGINT NOT NULL,
  paused_at      BIGINT,
  paused_by      TEXT,
  paused_reason  TEXT,
  source         TEXT,
  PRIMARY KEY (namespace, name)
);

CREATE TABLE runs (
  id            ${KEY} PRIMARY KEY,
  namespace     ${KEY} NOT NULL,
  pipeline      ${KEY} NOT NULL,
  state         ${KEY} NOT NULL,
  "trigger"     TEXT NOT NULL,
  trigger_kind  ${KEY},
  args          TEXT NOT NULL,
  definition    TEXT NOT NULL,
  "partition"   TEXT,
  reason        TEXT,
  created_at    BIGINT NOT NULL,
  started_at    BIGINT,
  finished_at   BIGINT,
  warnings      INTEGER NOT NULL DEFAULT 0,
  errors        INTEGER NOT NULL DEFAULT 0,
  metrics       TEXT NOT NULL
) WITH (fillfactor = 80, ${CHURN});
-- History is listed newest first: overall, per state, and per pipeline with the
-- columns pages of many pipelines show (no run row read for those).
CREATE INDEX runs_by_time ON runs (created_at DESC, id DESC);
CREATE INDEX runs_by_state ON runs (state, created_at DESC, id DESC);
CREATE INDEX runs_recent ON runs (namespace, pipeline, created_at DESC, id DESC) INCLUDE (state, started_at, finished_at);
-- Queue policy counts a pipeline's unfinished runs on every trigger; a finished run leaves this index.
CREATE INDEX runs_unfinished_by_pipeline ON runs (namespace, pipeline, state) WHERE state IN ('queued', 'running');

CREATE TABLE task_runs (
  run_id          ${KEY} NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  path            ${KEY} NOT NULL,
  attempt         INTEGER NOT NULL,
  state           ${KEY} NOT NULL,
  exit_code       INTEGER,
  signal          TEXT,
  reason          TEXT,
  pid             INTEGER,
  started_at      BIGINT,
  finished_at     BIGINT,
  cpu_ms          BIGINT,
  peak_rss_bytes  BIGINT,
  warnings        INTEGER NOT NULL DEFAULT 0,
  errors          INTEGER NOT NULL DEFAULT 0,
  metrics         TEXT NOT NULL,
  outputs         TEXT NOT NULL,
  log_file        TEXT,
  worker          TEXT,
  PRIMARY KEY (run_id, path, attempt)
) WITH (fillfactor = 80, ${CHURN});

-- The texts of an attempt's first warnings and errors, written once with its end:
-- apart from task_runs, which is rewritten at every state change.
CREATE TABLE task_messages (
  run_id    ${KEY} NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  path      ${KEY} NOT NULL,
  attempt   INTEGER NOT NULL,
  messages  TEXT NOT NULL,
  PRIMARY KEY (run_id, path, attempt)
);

-- The one stream every reader follows (SSE, CLI, UI, notifications); seq from seq_counters.
-- Only appended and deleted: vacuumed for the deletes, and for the visibility map after inserts.
CREATE TABLE events (
  seq        BIGINT PRIMARY KEY,
  run_id     ${KEY} NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  ts         BIGINT NOT NULL,
  type       TEXT NOT NULL,
  task_path  TEXT,
  attempt    INTEGER,
  data       TEXT NOT NULL
) WITH (${CHURN}, autovacuum_vacuum_insert_scale_factor = 0.05);
CREATE INDEX events_by_run ON events (run_id, seq);
CREATE TRIGGER events_are_append_only BEFORE UPDATE ON events FOR EACH ROW EXECUTE FUNCTION refuse_update();

-- API tokens, by JWT id. The JWT is never stored: only its record. Browser
-- sessions are tokens of their own kind, made from (and revoked with) a parent.
CREATE TABLE tokens (
  id            ${KEY} PRIMARY KEY,
  name          ${KEY} NOT NULL,
  scope         TEXT NOT NULL CHECK (scope IN ('read', 'run', 'admin', 'worker')),
  created_at    BIGINT NOT NULL,
  expires_at    BIGINT,
  revoked_at    BIGINT,
  last_used_at  BIGINT,
  kind          TEXT NOT NULL DEFAULT 'token' CHECK (kind IN ('token', 'session')),
  parent_id     ${KEY}
);
-- A name picks out one live token (to revoke it); revoked ones free their name.
CREATE UNIQUE INDEX tokens_live_name ON tokens (name) WHERE revoked_at IS NULL;
CREATE INDEX tokens_by_time ON tokens (created_at DESC, id DESC);
CREATE INDEX tokens_by_parent ON tokens (parent_id) WHERE parent_id IS NOT NULL;

-- seq from seq_counters: a paging cursor stays valid.
CREATE TABLE audit (
  seq      BIGINT PRIMARY KEY,
  ts       BIGINT NOT NULL,
  actor    ${KEY} NOT NULL,
  action   ${KEY} NOT NULL,
  target   ${KEY} NOT NULL,
  details  TEXT NOT NULL
);
CREATE TRIGGER audit_is_append_only BEFORE UPDATE ON audit FOR EACH ROW EXECUTE FUNCTION refuse_update();

-- Trigger slots (SPEC §6): a slot (pipeline, trigger, scheduled time) starts at
-- most one run, across restarts and across engines sharing the store. The
-- primary key of slots is that promise; schedules.last_slot only moves
-- forwards, so a clock stepped back cannot hand out an old slot again. Slots
-- are keyed by time first: one instant's claims land side by side.
CREATE TABLE schedules (
  namespace    ${KEY} NOT NULL,
  pipeline     ${KEY} NOT NULL,
  trigger_key  ${KEY} NOT NULL,
  anchor       BIGINT NOT NULL,
  last_slot    BIGINT,
  PRIMARY KEY (namespace, pipeline, trigger_key)
);

CREATE TABLE slots (
  slot         BIGINT NOT NULL,
  namespace    ${KEY} NOT NULL,
  pipeline     ${KEY} NOT NULL,
  trigger_key  ${KEY} NOT NULL,
  outcome      TEXT NOT NULL CHECK (outcome IN ('run', 'missed')),
  run_id       ${KEY} REFERENCES runs (id) ON DELETE SET NULL,
  recorded_at  BIGINT NOT NULL,
  PRIMARY KEY (slot, namespace, pipeline, trigger_key)
);
-- Retention sets slots.run_id to NULL for each deleted run: without an index, a scan per run.
CREATE INDEX slots_by_run ON slots (run_id) WHERE run_id IS NOT NULL;

-- Slots that did not run: one row per trigger per look, however many slots it
-- covers (a month of downtime under every: 1s is one row with a count). seq from seq_counters.
CREATE TABLE missed (
  seq          BIGINT PRIMARY KEY,
  namespace    ${KEY} NOT NULL,
  pipeline     ${KEY} NOT NULL,
  trigger_key  ${KEY} NOT NULL,
  detected_at  BIGINT NOT NULL,
  count        BIGINT NOT NULL CHECK (count > 0),
  count_exact  BOOLEAN NOT NULL,
  first_slot   BIGINT NOT NULL,
  last_slot    BIGINT NOT NULL,
  slots        TEXT NOT NULL,
  reason       TEXT NOT NULL,
  run_id       ${KEY} REFERENCES runs (id) ON DELETE SET NULL
);
CREATE INDEX missed_by_pipeline ON missed (namespace, pipeline, seq DESC);
CREATE INDEX missed_by_run ON missed (run_id) WHERE run_id IS NOT NULL;

-- after triggers: a finished run starts each of its followers once, across
-- crashes. after_pending holds the runs whose followers are still to be made;
-- after_follows is the promise that a follower trigger makes at most one run
-- per finished run (its row is written in the transaction that makes that
-- run). Both go with the finished run; run_id is for the record only (the
-- follower run may be removed first).
CREATE TABLE after_pending (
  run_id  ${KEY} PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE
);

CREATE TABLE after_follows (
  source_run   ${KEY} NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  namespace    ${KEY} NOT NULL,
  pipeline     ${KEY} NOT NULL,
  trigger_key  ${KEY} NOT NULL,
  run_id       ${KEY} NOT NULL,
  recorded_at  BIGINT NOT NULL,
  PRIMARY KEY (source_run, namespace, pipeline, trigger_key)
);
`;

/**
 * The scheduling lease (src/cluster/leader-lease.ts): one row per thing led,
 * its holder (an engine process), its term (only grows: a fencing token) and
 * its expiry by the database's clock. Unlogged would lose it in a crash of
 * the server, which is harmless (the next engine takes a new lease), but the
 * term must never go back: so it is an ordinary table.
 */
const schedulingLease = `
CREATE TABLE spire_leader (
  name        ${KEY} PRIMARY KEY,
  holder      TEXT NOT NULL,
  term        BIGINT NOT NULL,
  expires_at  TIMESTAMPTZ NOT NULL
);
`;

/**
 * Which engine a run belongs to, among several on one database: the one
 * that made it, by the owner its store's connections say (PostgresOptions.owner).
 * A restarted engine takes up its own unfinished runs and leaves the others'
 * alone; runs of no one (made before this, or by a store without an owner)
 * are anyone's, as with one engine.
 */
const runOwners = `
ALTER TABLE runs ADD COLUMN owner ${KEY} DEFAULT nullif(current_setting('spire.owner', true), '');
`;

/**
 * Facts the engines sharing the database agree on. For now the fingerprint
 * of their signing secret (never the secret): tokens, sessions and webhook
 * tokens made by one engine must work on all of them, so they must be given
 * the same secret file, and one that was not is refused at its start.
 */
const clusterFacts = `
CREATE TABLE spire_cluster (
  key    ${KEY} PRIMARY KEY,
  value  TEXT NOT NULL
);
`;

/**
 * Engines that share the database, each with its heartbeat written with the
 * database's clock (never an engine's own: clocks of several machines
 * differ). The leader takes over the unfinished runs of an engine silent for
 * longer than its rescue time; `rescues` counts those take-overs, so that an
 * engine that was only slow learns of them at its next heartbeat.
 *
 * A run is written only by its owner: the statement trigger on events (every
 * state change of a run appends one, in the same transaction) locks the runs
 * it names and refuses the transaction when this connection's engine
 * (spire.owner) no longer owns one. The lock (FOR SHARE) orders the check
 * against the leader's take-over (FOR UPDATE SKIP LOCKED): either the late
 * write commits first and the take-over reads it, or the take-over commits
 * first and the late write is refused — never both, so no result is recorded
 * twice. Connections that say no owner (tools, the bench's peers) pass.
 */
const engineRoster = `
CREATE TABLE engines (
  id               ${KEY} PRIMARY KEY,
  host             TEXT NOT NULL,
  pid              INTEGER NOT NULL,
  started_at       TIMESTAMPTZ NOT NULL,
  heartbeat_at     TIMESTAMPTZ NOT NULL,
  heartbeat_every  INTERVAL NOT NULL,
  rescues          BIGINT NOT NULL DEFAULT 0
) WITH (fillfactor = 50);

CREATE FUNCTION refuse_writes_of_another_owner() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  me TEXT := nullif(current_setting('spire.owner', true), '');
  taken RECORD;
BEGIN
  IF me IS NULL THEN RETURN NULL; END IF;
  FOR taken IN
    SELECT runs.id, runs.owner FROM runs WHERE runs.id IN (SELECT DISTINCT run_id FROM written) FOR SHARE OF runs
  LOOP
    IF taken.owner IS NOT NULL AND taken.owner <> me THEN
      RAISE EXCEPTION 'run % belongs to engine %', taken.id, taken.owner USING ERRCODE = 'SPOWN', DETAIL = taken.id, HINT = taken.owner;
    END IF;
  END LOOP;
  RETURN NULL;
END
$$;
CREATE TRIGGER events_only_by_the_runs_owner AFTER INSERT ON events
  REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION refuse_writes_of_another_owner();
`;

/**
 * What the engines sharing the database serve of each other's runs
 * (src/store/shared-port.ts). Each engine writes task logs and artifacts to
 * its own data folder, and copies them here: an engine on another machine,
 * or one that outlives the engine that ran the task, serves them from here.
 *
 * - log_chunks: the bytes of an attempt's log file, in order, as copied
 *   (a few times a second while it runs, the rest before its end is
 *   recorded), keyed by the byte offset each starts at: a reader's cursor
 *   is the same byte offset as in the file.
 * - artifact_files and artifact_chunks: each file of a task's artifact
 *   folder, in chunks of 1 MiB (a row stays small enough to read and send
 *   without holding a whole file in memory).
 * - run_requests: what one engine asks of the engine that runs a run
 *   (cancel it), taken by that engine after a NOTIFY or at its next look.
 *
 * All of it goes with its run (ON DELETE CASCADE): retention removes them.
 */
const sharedFiles = `
CREATE TABLE log_chunks (
  run_id        ${KEY} NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  path          ${KEY} NOT NULL,
  attempt       INTEGER NOT NULL,
  start_offset  BIGINT NOT NULL,
  bytes         BYTEA NOT NULL,
  PRIMARY KEY (run_id, path, attempt, start_offset)
) WITH (${CHURN}, autovacuum_vacuum_insert_scale_factor = 0.05);

CREATE TABLE artifact_files (
  id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  run_id  ${KEY} NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  task    ${KEY} NOT NULL,
  name    ${KEY} NOT NULL,
  size    BIGINT NOT NULL,
  UNIQUE (run_id, task, name)
);

CREATE TABLE artifact_chunks (
  file_id  BIGINT NOT NULL REFERENCES artifact_files (id) ON DELETE CASCADE,
  chunk    INTEGER NOT NULL,
  bytes    BYTEA NOT NULL,
  PRIMARY KEY (file_id, chunk)
);

CREATE TABLE run_requests (
  id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  run_id        ${KEY} NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  kind          ${KEY} NOT NULL CHECK (kind IN ('cancel')),
  reason        TEXT NOT NULL,
  requested_by  TEXT NOT NULL,
  requested_at  BIGINT NOT NULL,
  taken_at      BIGINT,
  outcome       TEXT CHECK (outcome IN ('done', 'not_running'))
);
-- One request of a kind waits per run; and the owner's look finds the waiting ones by this index alone.
CREATE UNIQUE INDEX run_requests_waiting ON run_requests (run_id, kind) WHERE taken_at IS NULL;
`;

/**
 * Runs handed to the engine whose workers can run them. Each engine's
 * heartbeat says which label sets its connected workers have
 * (worker_labels: an array of arrays of labels); an engine whose run waits
 * only for workers connected elsewhere moves the run's owner to such an
 * engine and leaves a row here, which that engine takes (after a NOTIFY, or
 * at its next heartbeat) to carry the run on.
 */
const handOvers = `
ALTER TABLE engines ADD COLUMN worker_labels JSONB NOT NULL DEFAULT '[]';

CREATE TABLE run_handovers (
  run_id       ${KEY} PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
  to_engine    ${KEY} NOT NULL,
  from_engine  ${KEY} NOT NULL,
  handed_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX run_handovers_to ON run_handovers (to_engine);
`;

/** SPIRE_SEED: each run's, kept so that a retry replays it. Runs from before have none (NULL). */
const runSeeds = `
ALTER TABLE runs ADD COLUMN seed INTEGER;
`;

/**
 * A pipeline's concurrency and queue, and named locks, across the engines
 * sharing the database (src/engine/runs/cluster-queues.ts). Each admitted run
 * of an unfinished run has a place: `running` (it counts against its
 * pipeline's concurrency, and its lock_holds rows against each lock's
 * capacity), `waiting` (its place in the queue, in seq order), or `replaced`
 * (a newer run took its waiting place; its owner skips it). Every decision
 * about a pipeline's places is taken under an advisory lock on that pipeline
 * (and, for a run with named locks, one lock for all of them), held to the
 * commit: two engines deciding at the same instant take turns, and the second
 * sees what the first wrote.
 *
 * Nothing has to give a place back: a run's places and holds go when the run
 * finishes, in the transaction that records its end (the trigger below),
 * whoever records it (its engine, or the leader interrupting a silent
 * engine's run). That transaction tells the engines (NOTIFY, a hint: each
 * also looks every few seconds) when a run may now start: one of the same
 * pipeline waits, or the finished run held locks and any run waits.
 */
const runPlaces = `
CREATE TABLE run_places (
  run_id       ${KEY} PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
  seq          BIGINT GENERATED ALWAYS AS IDENTITY,
  namespace    ${KEY} NOT NULL,
  pipeline     ${KEY} NOT NULL,
  "partition"  TEXT,
  place        ${KEY} NOT NULL CHECK (place IN ('waiting', 'running', 'replaced')),
  replaced_by  ${KEY}
) WITH (fillfactor = 80, ${CHURN});
CREATE INDEX run_places_by_pipeline ON run_places (namespace, pipeline, seq);

CREATE TABLE lock_holds (
  name    ${KEY} NOT NULL,
  run_id  ${KEY} NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  units   INTEGER NOT NULL,
  PRIMARY KEY (name, run_id)
) WITH (${CHURN});
CREATE INDEX lock_holds_by_run ON lock_holds (run_id);

-- Advisory locks are the database's, not the schema's: the schema is in the key, so stores in other schemas never wait on these.
CREATE FUNCTION spire_hold_queue(p_namespace TEXT, p_pipeline TEXT, p_locks BOOLEAN) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('spire: queue ' || current_schema()), hashtext(p_namespace || '/' || p_pipeline));
  IF p_locks THEN
    PERFORM pg_advisory_xact_lock(hashtext('spire: locks ' || current_schema()), 0);
  END IF;
END
$$;

-- The pipeline's places in queue order, and the units held of the locks asked for, read once the queue is held: each
-- statement of a function takes a new snapshot, so this one sees whatever the engine that held the queue before committed.
-- live: the run's engine beats (or the run is this connection's, or no one's); a silent engine's waiting run does not hold the queue up.
CREATE FUNCTION spire_queue(p_namespace TEXT, p_pipeline TEXT, p_locks TEXT[]) RETURNS TEXT LANGUAGE plpgsql AS $$
BEGIN
  PERFORM spire_hold_queue(p_namespace, p_pipeline, cardinality(p_locks) > 0);
  RETURN json_build_object(
    'places', (SELECT coalesce(json_agg(json_build_object('id', p.run_id, 'place', p.place, 'partition', p."partition", 'by', p.replaced_by,
                 'live', coalesce(r.owner IS NULL OR r.owner = nullif(current_setting('spire.owner', true), '') OR e.heartbeat_at >= now() - e.heartbeat_every * 3, false))
                 ORDER BY p.seq), '[]')
               FROM run_places p JOIN runs r ON r.id = p.run_id LEFT JOIN engines e ON e.id = r.owner
               WHERE p.namespace = p_namespace AND p.pipeline = p_pipeline),
    'held', (SELECT coalesce(json_object_agg(name, units), '{}') FROM (SELECT name, sum(units) AS units FROM lock_holds WHERE name = ANY (p_locks) GROUP BY name) AS h)
  )::text;
END
$$;

-- The common case, for a batch of runs in one statement: each run without named locks or debounce, of a pipeline with room
-- and nobody waiting, takes its place (as admit() decides: start), in the batch's order. 'busy': the engine decides in a
-- transaction of its own (spire_queue); 'gone': the run has ended, or is no longer this connection's engine's. The batch's
-- queues are held in one order (by key), so that two engines' batches never wait for each other in a circle.
CREATE FUNCTION spire_take_places(p_runs TEXT[], p_namespaces TEXT[], p_pipelines TEXT[], p_partitions TEXT[], p_concurrencies INTEGER[]) RETURNS TEXT[] LANGUAGE plpgsql AS $$
DECLARE
  queue INTEGER;
  running BIGINT;
  waiting BIGINT;
  outcomes TEXT[] := '{}';
BEGIN
  FOR queue IN SELECT DISTINCT hashtext(q.namespace || '/' || q.pipeline) FROM unnest(p_namespaces, p_pipelines) AS q (namespace, pipeline) ORDER BY 1 LOOP
    PERFORM pg_advisory_xact_lock(hashtext('spire: queue ' || current_schema()), queue);
  END LOOP;
  FOR i IN 1 .. cardinality(p_runs) LOOP
    SELECT count(*) FILTER (WHERE place = 'running'), count(*) FILTER (WHERE place = 'waiting') INTO running, waiting
      FROM run_places WHERE namespace = p_namespaces[i] AND pipeline = p_pipelines[i];
    IF running >= p_concurrencies[i] OR waiting > 0 THEN
      outcomes := outcomes || 'busy'::text;
      CONTINUE;
    END IF;
    -- Not locked (unlike a waiting run's start, see places.ts): a run being admitted is ended by no one, its engine not
    -- knowing it yet; and a take-over that follows this look puts its place back to waiting (holdPlace).
    PERFORM 1 FROM runs WHERE id = p_runs[i] AND state IN ('queued', 'running')
      AND (owner IS NULL OR nullif(current_setting('spire.owner', true), '') IS NULL OR owner = nullif(current_setting('spire.owner', true), ''));
    IF NOT FOUND THEN
      outcomes := outcomes || 'gone'::text;
      CONTINUE;
    END IF;
    INSERT INTO run_places (run_id, namespace, pipeline, "partition", place) VALUES (p_runs[i], p_namespaces[i], p_pipelines[i], p_partitions[i], 'running')
      ON CONFLICT (run_id) DO UPDATE SET place = 'running';
    outcomes := outcomes || 'running'::text;
  END LOOP;
  RETURN outcomes;
END
$$;

CREATE FUNCTION release_places() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  held_locks BOOLEAN;
BEGIN
  DELETE FROM run_places WHERE run_id = NEW.id;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  DELETE FROM lock_holds WHERE run_id = NEW.id;
  held_locks := FOUND;
  IF held_locks AND EXISTS (SELECT 1 FROM run_places WHERE place = 'waiting') THEN
    PERFORM pg_notify('spire_places', '');
  ELSIF EXISTS (SELECT 1 FROM run_places WHERE namespace = NEW.namespace AND pipeline = NEW.pipeline AND place = 'waiting') THEN
    PERFORM pg_notify('spire_places', NEW.namespace || '/' || NEW.pipeline);
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER runs_release_places AFTER UPDATE OF state ON runs FOR EACH ROW
  WHEN (OLD.state IN ('queued', 'running') AND NEW.state NOT IN ('queued', 'running')) EXECUTE FUNCTION release_places();
`;

/** spire watch leases: one term and holder for every engine sharing the store (watch-leases.ts); times by the server's clock. */
const watchLeases = `
CREATE TABLE watch_leases (
  namespace  TEXT NOT NULL,
  name       TEXT NOT NULL,
  holder     TEXT,
  expires_at BIGINT NOT NULL,
  PRIMARY KEY (namespace, name)
);
`;

/** Each pipeline's webhook token generation, once it was changed (spire hook --rotate); kept when the pipeline goes. */
const hookGenerations = `
CREATE TABLE hook_generations (
  namespace  ${KEY} NOT NULL,
  pipeline   ${KEY} NOT NULL,
  generation INTEGER NOT NULL,
  PRIMARY KEY (namespace, pipeline)
);
`;

/**
 * Room for a task's artifacts under its run's limit (spire engine
 * --artifact-limit), reserved across engines (sql/artifactFiles.ts
 * reserveArtifactRoom): what a task will keep, counted for the run from the
 * moment it is decided, before its files are copied here at its end
 * (replaceArtifacts then removes it: the files count instead). Goes with its run.
 */
const artifactRoom = `
CREATE TABLE artifact_reservations (
  run_id  ${KEY} NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  task    ${KEY} NOT NULL,
  bytes   BIGINT NOT NULL,
  PRIMARY KEY (run_id, task)
);
`;

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: "initial", sql: initial },
  { version: 2, name: "scheduling lease", sql: schedulingLease },
  { version: 3, name: "run owners", sql: runOwners },
  { version: 4, name: "cluster facts", sql: clusterFacts },
  { version: 5, name: "engine roster and run fencing", sql: engineRoster },
  { version: 6, name: "shared logs, artifacts and run requests", sql: sharedFiles },
  { version: 7, name: "runs handed to the engine with the worker", sql: handOvers },
  { version: 8, name: "run seeds", sql: runSeeds },
  { version: 9, name: "pipeline queues and named locks across engines", sql: runPlaces },
  { version: 10, name: "task locks across engines", sql: taskLockHolds(KEY, CHURN) },
  { version: 11, name: "a new run's place taken with it", sql: placedRuns },
  { version: 12, name: "a new run started with it", sql: startedRuns },
  { version: 13, name: "waiting places indexed", sql: waitingPlaces },
  { version: 14, name: "spire watch leases", sql: watchLeases },
  { version: 15, name: "webhook token generations", sql: hookGenerations },
  { version: 16, name: "artifact room reserved across engines", sql: artifactRoom },
];
