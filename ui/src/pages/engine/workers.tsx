/**
 * The machines that run tasks: the engine's own first, then the workers on
 * other machines (`spire worker`), with state, labels, what is in use of
 * their capacity, version and when they were last heard from. Kept live by
 * the event stream's `workers` frames (a worker registers, comes back or is
 * lost), read again when the tab shows again, when tasks start or end (what
 * is in use moves), and now and then for the times.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { isAdmin } from "../../api/session";
import type { WorkerInfo } from "../../api/types";
import { listWorkers } from "../../api/workers";
import { shellLine } from "../../cli/shell-quote";
import { CardBody, CardHead, CardRow, CardTable, Cell, ColumnHeader, RowHeader } from "../../components/card-table";
import { CopyCli } from "../../components/copy-cli";
import { ErrorMessage } from "../../components/error-message";
import { RelativeTime } from "../../components/time-label";
import { useLiveEvents } from "../../live/use-live-events";
import { formatBytes } from "../compare/diff";
import { Usage, cpus } from "./engine-info";

/** Read again this often while the tab shows: last seen and what is in use move without frames. Joins and losses come at once, as frames. */
const REFRESH_MS = 30_000;
/** Task starts and ends move what is in use: one read for a burst of them. */
const SETTLE_MS = 1_000;

const STATE_WORDS: Record<WorkerInfo["state"], { word: string; means: string }> = {
  connected: { word: "connected", means: "it takes tasks" },
  lost: { word: "lost", means: "it stopped answering: nothing heard from it for longer than its lease" },
  disconnected: { word: "disconnected", means: "it left" },
};

/** 16×16, drawn like the run states' icons: the state reads by shape as well as colour and word. */
const STATE_ICONS: Record<WorkerInfo["state"], string> = {
  // A ring with a tick: there and taking tasks.
  connected: "M8 2.5a5.5 5.5 0 1 0 0 11a5.5 5.5 0 1 0 0-11M5.4 8.2l1.8 1.8l3.4-3.8",
  // A warning sign: gone without a word.
  lost: "M8 2.2L14.2 13.3H1.8zM8 6.4v3.2M8 11.6v.1",
  // A ring with a bar: it left.
  disconnected: "M8 2.5a5.5 5.5 0 1 0 0 11a5.5 5.5 0 1 0 0-11M5.3 8h5.4",
};

function WorkerState({ state }: { state: WorkerInfo["state"] }) {
  const words = STATE_WORDS[state] ?? { word: state, means: "" };
  return (
    <span class={`worker-state worker-state--${state}`} title={words.means}>
      <svg class="state-icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false">
        <path d={STATE_ICONS[state] ?? STATE_ICONS.disconnected} />
      </svg>
      {words.word}
    </span>
  );
}

/** The engine's own machine first, then by name. */
function ordered(workers: Iterable<WorkerInfo>): WorkerInfo[] {
  return [...workers].sort((a, b) => (a.local !== b.local ? (a.local ? -1 : 1) : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function merged(workers: readonly WorkerInfo[], changes: readonly WorkerInfo[]): WorkerInfo[] {
  const byName = new Map(workers.map((worker) => [worker.name, worker]));
  for (const change of changes) byName.set(change.name, change);
  return ordered(byName.values());
}

export function Workers() {
  const [workers, setWorkers] = useState<WorkerInfo[] | undefined>();
  const [error, setError] = useState<unknown>();
  // Frames that came while a read was under way: laid over its answer, which may be older than they are.
  const inFlight = useRef<WorkerInfo[][]>([]);
  const settleTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  async function load() {
    const during: WorkerInfo[] = [];
    inFlight.current.push(during);
    try {
      const read = await listWorkers();
      setWorkers(merged(read, during));
      setError(undefined);
    } catch (failure) {
      setError(failure);
    } finally {
      inFlight.current = inFlight.current.filter((list) => list !== during);
    }
  }

  useEffect(() => {
    void load();
    const timer = setInterval(() => {
      if (document.visibilityState === "visible") void load();
    }, REFRESH_MS);
    const onVisible = () => {
      if (document.visibilityState === "visible") void load();
    };
    document.addEventListener("visibilitychange", onVisible);
    return () => {
      clearInterval(timer);
      clearTimeout(settleTimer.current);
      document.removeEventListener("visibilitychange", onVisible);
    };
  }, []);

  useLiveEvents((batch) => {
    if (batch.resync) {
      void load();
      return;
    }
    if (batch.workers.length > 0) {
      for (const during of inFlight.current) during.push(...batch.workers);
      setWorkers((old) => (old ? merged(old, batch.workers) : old));
    }
    if (settleTimer.current === undefined && batch.events.some((event) => event.type === "task.started" || event.type === "task.finished")) {
      settleTimer.current = setTimeout(() => {
        settleTimer.current = undefined;
        void load();
      }, SETTLE_MS);
    }
  });

  const engineVersion = workers?.find((worker) => worker.local)?.version ?? null;
  const others = workers?.filter((worker) => !worker.local) ?? [];

  return (
    <section class="panel" id="workers" aria-labelledby="workers-title">
      <h2 id="workers-title">Workers</h2>
      {error !== undefined && <ErrorMessage error={error} />}
      {workers === undefined ? (
        error === undefined && <p class="loading">Loading…</p>
      ) : (
        <>
          <div class="table-scroll">
            <CardTable class="data-table stack-table workers-table">
              <caption class="visually-hidden">The machines that run tasks</caption>
              <CardHead>
                <CardRow>
                  <ColumnHeader>Name</ColumnHeader>
                  <ColumnHeader>State</ColumnHeader>
                  <ColumnHeader>Labels</ColumnHeader>
                  <ColumnHeader>Tasks</ColumnHeader>
                  <ColumnHeader>CPUs</ColumnHeader>
                  <ColumnHeader>Memory</ColumnHeader>
                  <ColumnHeader>Version</ColumnHeader>
                  <ColumnHeader>Last seen</ColumnHeader>
                </CardRow>
              </CardHead>
              <CardBody>
                {workers.map((worker) => (
                  <WorkerRow key={worker.name} worker={worker} engineVersion={engineVersion} />
                ))}
              </CardBody>
            </CardTable>
          </div>
          {others.length === 0 && <HowToAdd />}
        </>
      )}
    </section>
  );
}

function WorkerRow({ worker, engineVersion }: { worker: WorkerInfo; engineVersion: string | null }) {
  const { capacity, in_use: used } = worker;
  const otherVersion = !worker.local && worker.version !== null && engineVersion !== null && worker.version !== engineVersion;
  return (
    <CardRow class={worker.state !== "connected" ? "is-inactive" : worker.local ? "is-current" : undefined}>
      <RowHeader label="Name">
        {worker.name}{" "}
        {worker.local && <span class="tag tag--accent">the engine's machine</span>}
        {!worker.local && (worker.address || (worker.host && worker.host !== worker.name)) && (
          <span class="worker-where muted">
            {[worker.host && worker.host !== worker.name ? `host ${worker.host}` : "", worker.address ? `from ${worker.address}` : ""].filter(Boolean).join(", ")}
          </span>
        )}
      </RowHeader>
      <Cell label="State">
        <WorkerState state={worker.state} />
      </Cell>
      <Cell label="Labels">
        {worker.labels.length === 0 ? (
          <span class="muted">none</span>
        ) : (
          <ul class="worker-labels">
            {worker.labels.map((label) => (
              <li key={label}>
                <code>{label}</code>
              </li>
            ))}
          </ul>
        )}
      </Cell>
      <Cell label="Tasks">
        <Usage used={used.tasks} total={capacity.tasks} text={`${used.tasks} of ${capacity.tasks}`} />
      </Cell>
      <Cell label="CPUs" class="worker-amount">
        {cpus(used.cpus)} of {cpus(capacity.cpus)}
      </Cell>
      <Cell label="Memory" class="worker-amount">
        {formatBytes(used.memory_bytes)} of {formatBytes(capacity.memory_bytes)}
      </Cell>
      <Cell label="Version">
        {worker.version ?? <span class="muted">—</span>}
        {otherVersion && " "}
        {otherVersion && <span class="tag tag--warn">not the engine's ({engineVersion})</span>}
      </Cell>
      <Cell label="Last seen">
        {worker.local ? (
          <span title="It is the engine: there as long as this page gets answers">now</span>
        ) : worker.last_seen ? (
          <RelativeTime time={worker.last_seen} />
        ) : (
          <span class="muted">never</span>
        )}
      </Cell>
    </CardRow>
  );
}

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/;

/** Only the engine's machine runs tasks: how another machine joins. */
function HowToAdd() {
  // A loopback address is this machine's own: another one needs the engine's address on the network.
  const loopback = LOOPBACK.test(location.hostname);
  const command = shellLine(["spire", "worker", "--engine", loopback ? "http://ADDRESS:PORT" : location.origin, "--token", "TOKEN", "--labels", "gpu,linux"]);
  return (
    <div class="workers-empty">
      <p>
        Only the engine's own machine runs tasks. To add another, run this on it, with a token of scope <strong>worker</strong> (
        {isAdmin.value && (
          <>
            <a href="#tokens">API tokens</a>, New token…, or{" "}
          </>
        )}
        <code>spire token create --scope worker</code> on the engine's machine):
      </p>
      <p class="workers-empty__command">
        <code>{command}</code> <CopyCli command={command} />
      </p>
      <p class="muted">
        Tasks go to it when their <code>runs_on:</code> names its labels; the rest stay here.
        {loopback && (
          <>
            {" "}
            This page reaches the engine at a loopback address, which another machine cannot use: start the engine with <code>--listen ADDRESS:PORT --allow-remote</code>.
          </>
        )}
        {location.protocol === "http:" && (
          <>
            {" "}
            Over plain http a worker on another machine needs <code>--allow-insecure</code>, for a network that is private already (Tailscale, WireGuard, an SSH tunnel);
            otherwise put https in front of the engine (a reverse proxy).
          </>
        )}
      </p>
    </div>
  );
}
