/**
 * `spire watch` holds the engine's lease on its pipeline while it runs (see
 * src/engine/watch-leases.ts): renewed as often as the engine asks. If this
 * process is killed outright, no Ctrl-C handler pauses the pipeline; the
 * renewals stop, and the engine pauses it when the lease lapses.
 */
import pc from "picocolors";
import type { SpireClient, WatchLease } from "../../client/port.js";

export interface HeldLease {
  /** Stops renewing (before Ctrl-C pauses the pipeline itself). */
  stop(): void;
}

/** Takes the lease (its failure ends the watch before anything fired), then renews it until stopped. */
export async function holdLease(client: SpireClient, job: { namespace: string; name: string }): Promise<HeldLease> {
  let lease: WatchLease = await client.renewWatchLease(job.namespace, job.name);
  let stopped = false;
  let complaint = "";
  let timer: NodeJS.Timeout;
  const renew = async () => {
    try {
      lease = await client.renewWatchLease(job.namespace, job.name);
      complaint = "";
      if (lease.resumed) process.stderr.write(pc.dim(`${job.namespace}/${job.name} resumed: the engine had paused it while this watch did not renew its lease\n`));
    } catch (error) {
      // Said once per distinct problem, not at every renewal; the engine coming back ends it.
      const message = (error as Error).message;
      if (message !== complaint) process.stderr.write(`spire: could not renew the lease on ${job.namespace}/${job.name}: ${message}\n  (retrying; the engine pauses it after ${lease.lease_ms / 1000}s without a renewal)\n`);
      complaint = message;
    }
    if (!stopped) timer = setTimeout(renew, lease.renew_every_ms);
  };
  timer = setTimeout(renew, lease.renew_every_ms);
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
