export { openPostgresStore } from "./store.js";
export type { PostgresOptions } from "./pool.js";
export { MIGRATIONS, type Migration } from "./migrations.js";
export { RUN_REQUESTS_CHANNEL } from "./sql/runRequests.js";
export { PLACES_CHANNEL } from "./sql/places.js";
export { MISSED_CHANNEL } from "./sql/missed.js";
export { RUNS_REMOVED_CHANNEL } from "./sql/retention.js";
