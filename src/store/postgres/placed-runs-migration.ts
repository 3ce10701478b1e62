/**
 * PostgreSQL migration 11: a new run takes its place in its pipeline's queue
 * in the transaction that makes it (sql/batch-write.ts), one commit fewer
 * before a run that can start at once starts: the same admission as
 * spire_take_places (migration 9), tried only when no one holds the queue.
 *
 * That statement writes other runs' rows too (the batch's state changes),
 * and takes the events' counter after: waiting there for a queue, it would
 * keep those rows (which a queue's holder may wait for: settlePlaces locks
 * its run's row) and delay every engine's appends. So it never waits: when
 * any queue it asks is held, it takes no place (NULL) and the engine asks
 * for one after the run is stored, as before (SharedStore.takePlace).
 */
export const placedRuns = `
CREATE FUNCTION spire_try_places(p_runs TEXT[], p_namespaces TEXT[], p_pipelines TEXT[], p_partitions TEXT[], p_concurrencies INTEGER[]) RETURNS TEXT[] LANGUAGE plpgsql AS $$
DECLARE
  queue INTEGER;
BEGIN
  FOR queue IN SELECT DISTINCT hashtext(q.namespace || '/' || q.pipeline) FROM unnest(p_namespaces, p_pipelines) AS q (namespace, pipeline) ORDER BY 1 LOOP
    IF NOT pg_try_advisory_xact_lock(hashtext('spire: queue ' || current_schema()), queue) THEN
      RETURN NULL;
    END IF;
  END LOOP;
  -- Its locks are this transaction's now: taking them again there does not wait.
  RETURN spire_take_places(p_runs, p_namespaces, p_pipelines, p_partitions, p_concurrencies);
END
$$;
`;

/**
 * PostgreSQL migration 12: a new run that takes its running place in the
 * statement that makes it starts in that statement too, with its first
 * tasks (sql/batch-write.ts): one transaction, where there were two, between
 * a request and its first process. The statement's own parts cannot change a
 * row another part of it made (they all see the snapshot it began with);
 * a function's statements come after the parts it reads and see them, as
 * spire_try_places sees the statement's new runs.
 */
export const startedRuns = `
CREATE FUNCTION spire_start_new_runs(p_runs TEXT[], p_states TEXT[], p_started BIGINT[]) RETURNS TEXT[] LANGUAGE plpgsql AS $$
DECLARE
  started TEXT[];
BEGIN
  WITH changed AS (
    UPDATE runs AS r SET state = s.state, started_at = s.started_at
    FROM unnest(p_runs, p_states, p_started) AS s (id, state, started_at)
    WHERE r.id = s.id AND r.state = 'queued'
    RETURNING r.id
  )
  SELECT coalesce(array_agg(id), '{}') INTO started FROM changed;
  RETURN started;
END
$$;
`;

/**
 * PostgreSQL migration 13: whether a run of a pipeline waits for its place
 * is looked up in an index of the waiting places alone, and the running
 * places are counted only up to the pipeline's concurrency. Through the
 * index of all a pipeline's places, the look read every place it has: each
 * run's end (release_places: may another one start now?) read all the
 * running ones, 0.30 ms at 1,300 of them (bench/postgres's throughput, where
 * a pipeline of large concurrency holds a place for every run started and
 * not ended; 0.06–0.09 ms with this index), and each admission to a pipeline
 * of small concurrency read its whole queue to learn that someone waits
 * (0.55 ms with 1,295 waiting, 0.17 ms now). Waiting places are few and
 * short-lived, and so is their index. The admission decides as before: busy
 * if anyone waits or the running places are at the concurrency.
 */
export const waitingPlaces = `
CREATE INDEX run_places_waiting ON run_places (namespace, pipeline) WHERE place = 'waiting';

CREATE OR REPLACE FUNCTION spire_take_places(p_runs TEXT[], p_namespaces TEXT[], p_pipelines TEXT[], p_partitions TEXT[], p_concurrencies INTEGER[]) RETURNS TEXT[] LANGUAGE plpgsql AS $$
DECLARE
  queue INTEGER;
  running BIGINT;
  outcomes TEXT[] := '{}';
BEGIN
  FOR queue IN SELECT DISTINCT hashtext(q.namespace || '/' || q.pipeline) FROM unnest(p_namespaces, p_pipelines) AS q (namespace, pipeline) ORDER BY 1 LOOP
    PERFORM pg_advisory_xact_lock(hashtext('spire: queue ' || current_schema()), queue);
  END LOOP;
  FOR i IN 1 .. cardinality(p_runs) LOOP
    IF EXISTS (SELECT 1 FROM run_places WHERE namespace = p_namespaces[i] AND pipeline = p_pipelines[i] AND place = 'waiting') THEN
      outcomes := outcomes || 'busy'::text;
      CONTINUE;
    END IF;
    -- Counted up to the concurrency, all the decision needs (greatest: a LIMIT may not be negative; a NULL concurrency, never reached, is still not).
    SELECT count(*) INTO running FROM (SELECT 1 FROM run_places WHERE namespace = p_namespaces[i] AND pipeline = p_pipelines[i] AND place = 'running'
      LIMIT greatest(p_concurrencies[i], 0)) AS r;
    IF running >= p_concurrencies[i] THEN
      outcomes := outcomes || 'busy'::text;
      CONTINUE;
    END IF;
    -- As in migration 9: not locked, a run being admitted is ended by no one; a take-over after this look puts its place back to waiting.
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
`;
