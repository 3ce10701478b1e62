#!/usr/bin/env node
// The `spire` command. The CLI is compiled to dist/ by `npm run build` (run by `npm install`).
import("../dist/src/cli/main.js").then(
  (cli) => cli.main(process.argv),
  (error) => {
    if (error && error.code === "ERR_MODULE_NOT_FOUND") {
      console.error("spire is not built yet: run `npm install` (or `npm run build`) in " + new URL("..", import.meta.url).pathname);
      process.exit(2);
    }
    throw error;
  },
);
