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
