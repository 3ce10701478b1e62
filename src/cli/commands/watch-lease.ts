/**
 * `spire watch` holds the engine's lease on its pipeline while it runs (see
 * src/engine/triggers/watch-leases.ts): renewed as often as the engine asks.
 * If this process is killed outright, no Ctrl-C handler pauses the pipeline;
 * the renewals stop, and the engine pauses it when the lease lapses.
 *
 * Each watch renews with an id of its own (its holder), so that a second
 * watch of the same command is refused instead of sharing the pipeline (the
 * Ctrl-C of either would pause the other's), and a watch that lost its lease
 * (stopped with Ctrl-Z until it lapsed, and another watch took the command
 * over) stops without pausing the other's.
 */
import { randomBytes } from "node:crypto";
import pc from "picocolors";
import type { SpireClient, WatchLease } from "../../client/port.js";
import { ServiceError } from "../../engine/service.js";
import { CliError, EXIT, hintOf } from "../errors.js";

export interface HeldLease {
  /** Stops renewing (before Ctrl-C pauses the pipeline itself). */
  stop(): void;
  /** Settles with why, once another watch holds the lease: this watch must stop, and leave the pipeline as it is. */
  readonly lost: Promise<string>;
}

/** This watch's id for the engine: random, so two watches never share one. */
export function newLeaseHolder(): string {
  return randomBytes(12).toString("base64url");
}

/** The engine's refusal because another watch holds the lease. */
export function heldElsewhere(error: unknown): error is ServiceError {
  return error instanceof ServiceError && error.code === "conflict" && (error.details as { held?: unknown } | null)?.held === true;
}

/** The refusal as the command's error: this watch pauses nothing. */
export function watchedElsewhere(error: ServiceError): CliError {
  return new CliError(error.message, EXIT.usage, hintOf(error.details));
}

/** Takes the lease (its failure, heldElsewhere's among them, ends the watch before anything fired), then renews it until stopped or lost. */
export async function holdLease(client: SpireClient, job: { namespace: string; name: string }, holder: string): Promise<HeldLease> {
  let lease: WatchLease = await client.renewWatchLease(job.namespace, job.name, holder);
  let stopped = false;
  let complaint = "";
  let timer: NodeJS.Timeout;
  let settleLost!: (why: string) => void;
  const lost = new Promise<string>((resolve) => (settleLost = resolve));
  const renew = async () => {
    try {
      lease = await client.renewWatchLease(job.namespace, job.name, holder);
      complaint = "";
      if (lease.resumed) process.stderr.write(pc.dim(`${job.namespace}/${job.name} resumed: the engine had paused it while this watch did not renew its lease\n`));
    } catch (error) {
      if (heldElsewhere(error)) {
        stopped = true;
        settleLost(error.message);
        return;
      }
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
    lost,
  };
}
