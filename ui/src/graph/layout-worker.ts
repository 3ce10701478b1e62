/** The worker that lays big graphs out (layout-later.ts), off the page's main thread. */
import { layoutGraph, toPlain, type PlainLayout } from "./layout";
import type { GraphModel } from "./model";

/** A model is sent once (with its number), then asked for again by number with other boxes open. */
export interface LayoutRequest {
  id: number;
  modelId: number;
  model?: GraphModel;
  /** The open groups and arrays. */
  open: string[];
}

export type LayoutAnswer = { id: number; layout: PlainLayout } | { id: number; error: string };

interface WorkerScope {
  onmessage: ((event: MessageEvent<LayoutRequest>) => void) | null;
  postMessage(message: LayoutAnswer): void;
}

const scope = self as unknown as WorkerScope;
let last: { id: number; model: GraphModel } | undefined;

scope.onmessage = ({ data: { id, modelId, model, open } }) => {
  if (model) last = { id: modelId, model };
  if (!last || last.id !== modelId) return scope.postMessage({ id, error: "unknown model" });
  try {
    const opened = new Set(open);
    scope.postMessage({ id, layout: toPlain(layoutGraph(last.model, (path) => opened.has(path))) });
  } catch (error) {
    scope.postMessage({ id, error: String(error) });
  }
};
