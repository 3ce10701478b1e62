/** The worker that reads whole logs for search and download (scan-jobs.ts), off the page's main thread. */
import { runJob, type ScanJob, type ScanMessage } from "./scan-jobs";

interface WorkerScope {
  onmessage: ((event: MessageEvent<{ id: number; job: ScanJob | "cancel" }>) => void) | null;
  postMessage(message: { id: number } & ScanMessage): void;
}

const scope = self as unknown as WorkerScope;
const running = new Map<number, AbortController>();

scope.onmessage = ({ data: { id, job } }) => {
  if (job === "cancel") {
    running.get(id)?.abort();
    running.delete(id);
    return;
  }
  const controller = new AbortController();
  running.set(id, controller);
  void runJob(job, (message) => scope.postMessage({ id, ...message }), controller.signal).finally(() => running.delete(id));
};
