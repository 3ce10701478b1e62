/** The route table: the server registers it and the OpenAPI document describes it. */
import type { AnyRoute } from "../route.js";
import { adminRoutes } from "./admin.js";
import { eventsRoute } from "./events.js";
import { pipelineRoutes } from "./pipelines.js";
import { runRoutes } from "./runs.js";
import { runDefinitionRoute } from "./run-definition.js";
import { systemRoutes } from "./system.js";
import { hookRoutes } from "./hooks.js";
import { artifactRoutes } from "./artifacts.js";
import { gcRoutes } from "./gc.js";
import { sessionRoutes } from "./sessions.js";
import { engineEventsRoute } from "./engine-events.js";
import { engineRoutes } from "./engine.js";
import { pipelineHistoryRoutes } from "./pipeline-history.js";
import { workerRoutes } from "./workers.js";
import { workerListRoutes } from "./worker-list.js";

export const ROUTES: readonly AnyRoute[] = [
  ...systemRoutes,
  ...pipelineRoutes,
  ...runRoutes,
  runDefinitionRoute,
  eventsRoute,
  ...adminRoutes,
  ...hookRoutes,
  ...artifactRoutes,
  ...gcRoutes,
  ...sessionRoutes,
  engineEventsRoute,
  ...engineRoutes,
  ...pipelineHistoryRoutes,
  ...workerRoutes,
  ...workerListRoutes,
];
