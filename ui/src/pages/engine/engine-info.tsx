/**
 * The engine itself: version, state, uptime, where tasks run and where
 * records are kept, and what is in use now (task slots, CPUs and memory
 * reserved, locks and their holders, runs running and waiting per
 * pipeline), from GET /engine; an engine without that route gives its
 * version and uptime through GET /health.
 */
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { messageOf } from "../../api/api-error";
import { CardBody, CardHead, CardRow, CardTable, Cell, ColumnHeader, RowHeader } from "../../components/card-table";
import { RelativeTime } from "../../components/time-label";
import { shortRunId } from "../../format/run-id";
import { paths } from "../../router/routes";
import { formatDuration } from "../../time/format";
import { now } from "../../time/now";
import { formatBytes } from "../compare/diff";
import { hasRoute } from "../runs/capabilities";
import { getEngineInfo, getHealth, type EngineInfo as Info } from "./api";

/** Read again this often while the page is open and visible: capacity and queues move. */
const REFRESH_MS = 5_000;

/** Used of a total, as a meter and in words. */
export function Usage({ used, total, text }: { used: number; total: number; text: ComponentChildren }) {
  return (
    <span class="usage">
      {total > 0 && <meter min={0} max={total} value={used} aria-hidden="true" />}
      {text}
    </span>
  );
}

/** Reserved of a total, with where the total comes from (this machine's, or an engine option). */
function Reserved({ label, amount, format }: { label: string; amount: { reserved: number; total: number; from: string }; format: (value: number) => string }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>
        <Usage
          used={amount.reserved}
          total={amount.total}
          text={
            <>
              {format(amount.reserved)} of {format(amount.total)} <span class="muted">({amount.from})</span>
            </>
          }
        />
      </dd>
    </div>
  );
}

export const cpus = (value: number) => (Number.isInteger(value) ? String(value) : value.toFixed(2).replace(/0+$/, ""));

export function EngineInfo() {
  const [info, setInfo] = useState<{ info: Info; at: number } | undefined>();
  const [error, setError] = useState<string | null>(null);

  async function load() {
    try {
      if (await hasRoute("GET", "/engine")) {
        setInfo({ info: await getEngineInfo(), at: Date.now() });
      } else {
        // An engine from before GET /engine: what /health says.
        const health = await getHealth();
        setInfo({ info: { ...health, partial: true } as unknown as Info, at: Date.now() });
      }
      setError(null);
    } catch (failure) {
      setError(messageOf(failure));
    }
  }

  useEffect(() => {
    void load();
    const timer = setInterval(() => {
      if (document.visibilityState === "visible") void load();
    }, REFRESH_MS);
    return () => clearInterval(timer);
  }, []);

  // The clock signal says when to re-render; times count from the real time (a record made a moment ago never reads as future).
  const clock = Math.max(now.value, Date.now());
  const engine = info?.info;
  const uptime = info && engine ? engine.uptime_ms + Math.max(0, clock - info.at) : undefined;
  const partial = engine !== undefined && (engine as Info & { partial?: boolean }).partial === true;

  return (
    <section class="panel" id="engine" aria-labelledby="engine-title">
      <h2 id="engine-title">The engine</h2>
      {error && (
        <p class="notice notice--error" role="alert">
          {error}
        </p>
      )}
      {!engine ? (
        !error && <p class="loading">Loading…</p>
      ) : (
        <>
          <dl class="facts">
            <div>
              <dt>Version</dt>
              <dd>
                {engine.version}
                {engine.node && <span class="muted"> on Node.js {engine.node}</span>}
              </dd>
            </div>
            <div>
              <dt>State</dt>
              <dd>{engine.status === "ok" ? "running" : <strong>draining: finishing its runs, taking no new ones</strong>}</dd>
            </div>
            <div>
              <dt>Up for</dt>
              <dd>
                {formatDuration(uptime)}
                {engine.started_at && (
                  <span class="muted">
                    {" "}
                    (started <RelativeTime time={engine.started_at} />
                    {engine.pid ? `, pid ${engine.pid}` : ""})
                  </span>
                )}
              </dd>
            </div>
            <div>
              <dt>Address</dt>
              <dd>
                <code>{location.origin}</code>
              </dd>
            </div>
            {engine.store && (
              <div>
                <dt>Store</dt>
                <dd>
                  {engine.store.kind === "sqlite" ? "SQLite" : "PostgreSQL"}
                  {engine.store.location && <code class="path"> {engine.store.location}</code>}
                </dd>
              </div>
            )}
            {engine.scheduling && (
              <div>
                <dt>Scheduling</dt>
                <dd>{engine.scheduling.leading ? "leads: time triggers fire here" : "follows: another engine on this store fires time triggers"}</dd>
              </div>
            )}
            {engine.data_dir && (
              <div>
                <dt>Data folder</dt>
                <dd>
                  <code class="path">{engine.data_dir}</code>
                </dd>
              </div>
            )}
            {engine.executor && (
              <div>
                <dt>Tasks run</dt>
                <dd>
                  {engine.executor === "in-process" ? (
                    "in the engine's own process (they end with it)"
                  ) : !engine.supervisor ? (
                    "under a supervisor"
                  ) : engine.supervisor.connected ? (
                    <>
                      under a supervisor{engine.supervisor.pid ? ` (pid ${engine.supervisor.pid})` : ""} that outlives the engine
                      {engine.supervisor.started_at && (
                        <span class="muted">
                          , started <RelativeTime time={engine.supervisor.started_at} />
                        </span>
                      )}
                    </>
                  ) : (
                    <strong class="error-text">the supervisor is lost: {engine.supervisor.lost_reason ?? "no reason given"}</strong>
                  )}
                </dd>
              </div>
            )}
          </dl>
          {partial && <p class="muted engine-more">This engine does not report its store, capacity or queues (it has no GET /api/v1/engine).</p>}
          {engine.capacity && (
            <>
              <h3 class="engine-sub">In use now</h3>
              <dl class="facts">
                <div>
                  <dt>Task slots</dt>
                  <dd>
                    <Usage used={engine.capacity.task_slots.used} total={engine.capacity.task_slots.total} text={`${engine.capacity.task_slots.used} of ${engine.capacity.task_slots.total}`} />
                  </dd>
                </div>
                <Reserved label="CPUs reserved" amount={engine.capacity.cpus} format={cpus} />
                <Reserved label="Memory reserved" amount={engine.capacity.memory_bytes} format={formatBytes} />
                {engine.runs && (
                  <div>
                    <dt>Runs</dt>
                    <dd>
                      {engine.runs.running} running, {engine.runs.waiting} waiting
                    </dd>
                  </div>
                )}
              </dl>
            </>
          )}
          {engine.locks && (
            <>
              <h3 class="engine-sub" id="locks-title">Locks</h3>
              {engine.locks.length === 0 ? (
                <p class="muted">No definitions file declares a lock, and none is held.</p>
              ) : (
                <div class="table-scroll">
                  <CardTable class="data-table stack-table" aria-labelledby="locks-title">
                    <CardHead>
                      <CardRow>
                        <ColumnHeader>Lock</ColumnHeader>
                        <ColumnHeader>Held</ColumnHeader>
                        <ColumnHeader>Holders</ColumnHeader>
                      </CardRow>
                    </CardHead>
                    <CardBody>
                      {engine.locks.map((lock) => (
                        <CardRow key={lock.name}>
                          <RowHeader label="Lock">
                            <code>{lock.name}</code>
                          </RowHeader>
                          <Cell label="Held">
                            <Usage used={lock.held} total={lock.capacity} text={`${lock.held} of ${lock.capacity}`} />
                          </Cell>
                          <Cell label="Holders">
                            {lock.holders.length === 0 ? (
                              <span class="muted">none</span>
                            ) : (
                              <ul class="plain-list">
                                {lock.holders.map((holder) => (
                                  <li key={`${holder.run_id}:${holder.task ?? ""}`}>
                                    run <a href={paths.run(holder.run_id)}>{shortRunId(holder.run_id)}</a>
                                    {holder.task ? `, task ${holder.task}` : " (the whole run)"}
                                    {holder.count > 1 ? `, ${holder.count} units` : ""}
                                  </li>
                                ))}
                              </ul>
                            )}
                          </Cell>
                        </CardRow>
                      ))}
                    </CardBody>
                  </CardTable>
                </div>
              )}
            </>
          )}
          {engine.queues && (
            <>
              <h3 class="engine-sub" id="queues-title">Queues</h3>
              {engine.queues.length === 0 ? (
                <p class="muted">No run is under way or waiting.</p>
              ) : (
                <div class="table-scroll">
                  <CardTable class="data-table stack-table" aria-labelledby="queues-title">
                    <CardHead>
                      <CardRow>
                        <ColumnHeader>Pipeline</ColumnHeader>
                        <ColumnHeader class="num">
                          Running
                        </ColumnHeader>
                        <ColumnHeader class="num">
                          Waiting
                        </ColumnHeader>
                      </CardRow>
                    </CardHead>
                    <CardBody>
                      {engine.queues.map((queue) => (
                        <CardRow key={`${queue.namespace}/${queue.pipeline}`}>
                          <RowHeader label="Pipeline">
                            <a href={paths.pipeline(queue.namespace, queue.pipeline)}>
                              {queue.namespace}/{queue.pipeline}
                            </a>
                          </RowHeader>
                          <Cell label="Running" class="num">
                            {queue.running}
                          </Cell>
                          <Cell label="Waiting" class="num">
                            {queue.waiting}
                          </Cell>
                        </CardRow>
                      ))}
                    </CardBody>
                  </CardTable>
                </div>
              )}
            </>
          )}
        </>
      )}
    </section>
  );
}
