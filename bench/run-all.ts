/** `npm run bench`: every benchmark, one after the other. Results go to bench/results/ and docs/performance.md by hand. */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

for (const name of ["plan", "dag", "spawn", "cancel", "api", "fire", "logs", "workers", "postgres", "ui/ui"]) {
  const script = fileURLToPath(new URL(`./${name}.js`, import.meta.url));
  const result = spawnSync(process.execPath, [script], { stdio: "inherit" });
  if (result.status !== 0) process.exit(result.status ?? 1);
  console.log();
}
