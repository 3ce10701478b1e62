export { openSqliteStore } from "./store.js";
export { MIGRATIONS, type Migration } from "./migrations.js";
