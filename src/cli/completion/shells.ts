/** The shells `spire completion` writes a script for (a module of its own: main.ts reads it at every start). */
export const SHELLS = ["bash", "zsh", "fish"] as const;
export type Shell = (typeof SHELLS)[number];
