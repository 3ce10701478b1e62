/**
 * PostgreSQL migration 10: a task's own `locks:` across the engines sharing
 * the database (src/engine/runs/shared-task-locks.ts), beside the whole
 * runs' of migration 9. A task attempt's units are a row each in
 * task_lock_holds while it runs, and count against each lock's capacity with
 * the whole runs' (lock_holds): both are taken under the one advisory lock
 * of the named locks, so a decision about either sees the other.
 *
 * Nothing has to give them back, as with the runs' places: the units of an
 * attempt go in the transaction that records its end (the trigger on
 * task_runs), those of a whole run's attempts when the run ends
 * (release_places), and those of attempts that never got on record as
 * running when the run moves to another engine (a take-over of a silent
 * engine, a hand-over): the attempts that were running go when the new
 * engine records what became of them. Each tells the engines (NOTIFY with an
 * empty payload: locks were given back), which also look every few seconds.
 *
 * Written as a function of the schema's column conventions (migrations.ts).
 */
export function taskLockHolds(key: string, churn: string): string {
  return `
CREATE TABLE task_lock_holds (
  run_id   ${key} NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  task     ${key} NOT NULL,
  attempt  INTEGER NOT NULL,
  name     ${key} NOT NULL,
  units    INTEGER NOT NULL,
  PRIMARY KEY (run_id, task, attempt, name)
) WITH (${churn});

-- The attempt's units of every lock, all or none, if each lock has them free beside what whole runs and other tasks hold
-- ('busy' otherwise); with p_beyond, whatever is held (an attempt already running, adopted after a restart). 'gone': the
-- run has ended, or is no longer this connection's engine's. The named locks are held as a whole run's decision holds
-- them (spire_hold_queue), and the run's row FOR SHARE: a run whose end (or move) is being recorded, which gives its
-- units back, is given none afterwards.
CREATE FUNCTION spire_take_task_locks(p_run TEXT, p_task TEXT, p_attempt INTEGER, p_names TEXT[], p_units INTEGER[], p_capacities INTEGER[], p_beyond BOOLEAN)
RETURNS TEXT LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('spire: locks ' || current_schema()), 0);
  PERFORM 1 FROM runs WHERE id = p_run AND state IN ('queued', 'running')
    AND (nullif(current_setting('spire.owner', true), '') IS NULL OR owner IS NULL OR owner = nullif(current_setting('spire.owner', true), ''))
    FOR SHARE;
  IF NOT FOUND THEN
    RETURN 'gone';
  END IF;
  IF NOT p_beyond AND EXISTS (
    SELECT 1 FROM unnest(p_names, p_units, p_capacities) AS w (name, units, capacity)
    WHERE w.units
      + coalesce((SELECT sum(h.units) FROM lock_holds h WHERE h.name = w.name), 0)
      + coalesce((SELECT sum(t.units) FROM task_lock_holds t WHERE t.name = w.name AND NOT (t.run_id = p_run AND t.task = p_task)), 0)
      > w.capacity
  ) THEN
    RETURN 'busy';
  END IF;
  -- An earlier attempt's units, left by an engine that stopped before it recorded that attempt, are the task's no more.
  DELETE FROM task_lock_holds WHERE run_id = p_run AND task = p_task AND attempt <> p_attempt;
  INSERT INTO task_lock_holds (run_id, task, attempt, name, units)
  SELECT p_run, p_task, p_attempt, w.name, w.units FROM unnest(p_names, p_units) AS w (name, units)
  ON CONFLICT (run_id, task, attempt, name) DO UPDATE SET units = excluded.units;
  RETURN 'taken';
END
$$;

-- On task_runs: an attempt's end gives back its units. On runs: a run that moves to another engine gives back the units
-- of its attempts not on record as running (their engine stopped between taking them and recording the start, or the
-- attempt waited for a worker when the run was handed over); those on record go as the new engine records their end.
CREATE FUNCTION release_task_locks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'task_runs' THEN
    DELETE FROM task_lock_holds WHERE run_id = NEW.run_id AND task = NEW.path AND attempt = NEW.attempt;
  ELSE
    DELETE FROM task_lock_holds h WHERE h.run_id = NEW.id
      AND NOT EXISTS (SELECT 1 FROM task_runs t WHERE t.run_id = h.run_id AND t.path = h.task AND t.attempt = h.attempt AND t.state = 'running');
  END IF;
  IF FOUND THEN
    PERFORM pg_notify('spire_places', '');
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER task_runs_release_locks AFTER INSERT OR UPDATE OF state ON task_runs FOR EACH ROW
  WHEN (NEW.state NOT IN ('pending', 'running')) EXECUTE FUNCTION release_task_locks();
CREATE TRIGGER runs_release_moved_task_locks AFTER UPDATE OF owner ON runs FOR EACH ROW
  WHEN (OLD.owner IS DISTINCT FROM NEW.owner AND NEW.state IN ('queued', 'running')) EXECUTE FUNCTION release_task_locks();

-- As in migration 9, and the units of the run's attempts go too. Any engine may have a task waiting for locks given
-- back (the database does not know of those): the NOTIFY goes whenever some were.
CREATE OR REPLACE FUNCTION release_places() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  held_locks BOOLEAN;
BEGIN
  DELETE FROM task_lock_holds WHERE run_id = NEW.id;
  held_locks := FOUND;
  DELETE FROM run_places WHERE run_id = NEW.id;
  IF NOT FOUND AND NOT held_locks THEN
    RETURN NULL;
  END IF;
  DELETE FROM lock_holds WHERE run_id = NEW.id;
  held_locks := held_locks OR FOUND;
  IF held_locks THEN
    PERFORM pg_notify('spire_places', '');
  ELSIF EXISTS (SELECT 1 FROM run_places WHERE namespace = NEW.namespace AND pipeline = NEW.pipeline AND place = 'waiting') THEN
    PERFORM pg_notify('spire_places', NEW.namespace || '/' || NEW.pipeline);
  END IF;
  RETURN NULL;
END
$$;

-- As in migration 9, with the units running tasks hold counted beside the whole runs'.
CREATE OR REPLACE FUNCTION spire_queue(p_namespace TEXT, p_pipeline TEXT, p_locks TEXT[]) RETURNS TEXT LANGUAGE plpgsql AS $$
BEGIN
  PERFORM spire_hold_queue(p_namespace, p_pipeline, cardinality(p_locks) > 0);
  RETURN json_build_object(
    'places', (SELECT coalesce(json_agg(json_build_object('id', p.run_id, 'place', p.place, 'partition', p."partition", 'by', p.replaced_by,
                 'live', coalesce(r.owner IS NULL OR r.owner = nullif(current_setting('spire.owner', true), '') OR e.heartbeat_at >= now() - e.heartbeat_every * 3, false))
                 ORDER BY p.seq), '[]')
               FROM run_places p JOIN runs r ON r.id = p.run_id LEFT JOIN engines e ON e.id = r.owner
               WHERE p.namespace = p_namespace AND p.pipeline = p_pipeline),
    'held', (SELECT coalesce(json_object_agg(name, units), '{}') FROM (
               SELECT name, sum(units) AS units FROM (
                 SELECT name, units FROM lock_holds WHERE name = ANY (p_locks)
                 UNION ALL SELECT name, units FROM task_lock_holds WHERE name = ANY (p_locks)
               ) AS both_holds GROUP BY name) AS h)
  )::text;
END
$$;
`;
}
