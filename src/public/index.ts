/**
 * What `import … from "spire"` gives: typed definitions for spire.config.ts,
 * a typed client of an engine's HTTP API, and an engine started inside an
 * application. Kept light to import: the engine is loaded by startEngine.
 */
export { after, defineConfig, definePipeline, type PipelineConfig, type PipelineOf, type SpireConfig, type TaskConfig, type TaskIn, type TriggerConfig } from "./config.js";
