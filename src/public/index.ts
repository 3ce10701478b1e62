/**
 * What `import … from "spire"` gives: typed definitions for spire.config.ts,
 * a typed client of an engine's HTTP API, and an engine started inside an
 * application. Kept light to import: the engine is loaded by startEngine.
 */
export { after, defineConfig, definePipeline, type PipelineConfig, type PipelineOf, type SpireConfig, type TaskConfig, type TaskIn, type TriggerConfig } from "./config.js";
export { SpireApiError, SpireClient, type ChangeSet, type LogLine, type Ok, type PathOf, type RequestOptions, type Run, type RunPage, type RunState, type SpireClientOptions, type components, type operations, type paths } from "./client.js";
export { startEngine, type EmbeddedEngine, type LiveEvent, type StartEngineOptions } from "./embed.js";
