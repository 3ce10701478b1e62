/**
 * Small definitions that ask for a lot: each must be refused quickly, with
 * little memory, at the place that asks (issue 12). Shared by the parser,
 * `spire validate` and `POST /apply` tests.
 */

export interface Bomb {
  text: string;
  /** The first error's line, column and key path. */
  line: number;
  column: number;
  keyPath: string;
  message: RegExp;
}

const range = (count: number) => Array.from({ length: count }, (_, index) => index);

/** 133 bytes that expand to a hundred million tasks. */
export const NESTED_REPEAT: Bomb = {
  text: ["pipelines:", "  p:", "    tasks:", "      a:", "        repeat: 10000", "        group:", '          b: { repeat: 10000, run: "true" }', ""].join("\n"),
  line: 5,
  column: 17,
  keyPath: "pipelines.p.tasks.a.repeat",
  message: /^pipeline p expands to 100,020,001 tasks \(groups and copies included\), more than the limit of 10,000 per run \(repeat here makes 10,000 copies\)$/,
};

/** 12 KB: a matrix of 1000³. */
export const CUBE_MATRIX: Bomb = {
  text: [
    "pipelines:",
    "  p:",
    "    tasks:",
    "      ok: { run: \"true\" }",
    "      cube:",
    "        exec: [echo]",
    "        matrix:",
    ...["x", "y", "z"].map((key) => `          ${key}: [${range(1000).join(", ")}]`),
    "",
  ].join("\n"),
  line: 7,
  column: 9,
  keyPath: "pipelines.p.tasks.cube.matrix",
  message: /^pipeline p expands to 1,000,000,002 tasks .* more than the limit of 10,000 per run \(matrix here makes 1,000,000,000 copies\)$/,
};

/** Groups nested `depth` levels deep, in flow style (small, and deeper than any recursive walk should go). */
export function nestedGroups(depth: number): string {
  const open = range(depth).map((index) => `{ t${index}: { group: `).join("");
  return `pipelines:\n  p:\n    tasks: ${open}{ leaf: { run: "true" } }${" } }".repeat(depth)}\n`;
}

export const DEEP_GROUPS: Bomb = {
  text: nestedGroups(300),
  line: 3,
  // The 32nd task's `group` key: "    tasks: " then 31 times "{ tN: { group: " and "{ t31: { ".
  column: 12 + range(31).reduce((width, index) => width + `{ t${index}: { group: `.length, 0) + "{ t31: { ".length,
  keyPath: `pipelines.p.tasks.${range(31).map((index) => `t${index}.group.`).join("")}t31.group`,
  message: /^groups are nested more than 32 levels deep here$/,
};

export const MANY_PIPELINES: Bomb = {
  text: `pipelines:\n${range(1001).map((index) => `  p${index}: {}\n`).join("")}`,
  line: 1,
  column: 1,
  keyPath: "pipelines",
  message: /^the file has 1001 pipelines; one file may hold at most 1000$/,
};

export const MANY_TRIGGERS: Bomb = {
  text: `pipelines:\n  p:\n    triggers:\n${range(101).map((index) => `      - cron: "${index % 60} * * * *"\n`).join("")}    tasks: { a: { run: "true" } }\n`,
  line: 3,
  column: 5,
  keyPath: "pipelines.p.triggers",
  message: /^the pipeline has 101 triggers; a pipeline may have at most 100$/,
};

export const ENDLESS_RETRIES: Bomb = {
  text: 'pipelines:\n  p:\n    tasks:\n      a: { run: "false", retries: { max: 1000000000, backoff: 0 } }\n',
  line: 4,
  column: 42,
  keyPath: "pipelines.p.tasks.a.retries.max",
  message: /^must be at most 100/,
};

/** The billion laughs: nine aliases of nine aliases of … */
export const ALIAS_BOMB: Bomb = {
  text: [
    'x-a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]',
    ...["b", "c", "d", "e", "f", "g", "h", "i"].map((name, index) => `x-${name}: &${name} [${range(9).map(() => `*${"abcdefgh"[index]}`).join(", ")}]`),
    "pipelines:",
    "  p:",
    "    metadata: { laughs: *i }",
    '    tasks: { a: { run: "true" } }',
    "",
  ].join("\n"),
  line: 2,
  column: 10,
  keyPath: "x-b[0]",
  message: /^too many alias expansions/,
};

export const BOMBS = { NESTED_REPEAT, CUBE_MATRIX, DEEP_GROUPS, MANY_PIPELINES, MANY_TRIGGERS, ENDLESS_RETRIES, ALIAS_BOMB };
