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
