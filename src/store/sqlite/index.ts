export { openSqliteStore } from "./store.js";
export type { ConnectionOptions, DiskSpaceEvent } from "./connection.js";
export { MIGRATIONS, type Migration } from "./migrations.js";
