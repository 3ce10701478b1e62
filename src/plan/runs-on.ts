/**
 * `runs_on` names labels that a machine must all carry to run a task: the
 * one test shared by the worker hub's placement, the engine's split between
 * its own machine and workers, and the hand-over of runs between engines.
 */
export function hasLabels(labels: readonly string[], need: readonly string[]): boolean {
  return need.every((label) => labels.includes(label));
}
