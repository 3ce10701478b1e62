// Splits openapi-typescript's one file of the API's types into files of a few hundred lines each (the project keeps
// its files small, generated ones too): paths, operations and components.schemas are cut between their members
// into parts, each part an interface of its own, put together again under the names SpireClient uses.
// Plain JavaScript with no dependencies: it runs before anything is compiled (scripts/api-types.js).

/** Lines per part, at most (a member longer than that is a part alone). */
const PART_LINES = 450;

/** The text between `export interface NAME {` and its closing `}` at the start of a line, as lines. */
function interfaceBody(text, name) {
  const start = text.indexOf(`export interface ${name} {\n`);
  if (start < 0) throw new Error(`api-types: no interface ${name} in openapi-typescript's output`);
  const from = start + `export interface ${name} {\n`.length;
  return text.slice(from, text.indexOf("\n}\n", from) + 1).split("\n").slice(0, -1);
}

/**
 * The members of an interface body whose members are indented by `indent` spaces, each with the comments before
 * it: a member ends on a line at that indentation that ends it (`};`, or a one-line member ending in `;`).
 */
function members(lines, indent) {
  const end = new RegExp(`^ {${indent}}(};|[^\\s/*].*;)$`);
  const found = [];
  let current = [];
  for (const line of lines) {
    current.push(line);
    if (end.test(line)) {
      found.push(current);
      current = [];
    }
  }
  if (current.some((line) => line.trim() !== "")) found.push(current);
  return found;
}

/** Members grouped into parts of at most PART_LINES lines, in order. */
function parts(blocks) {
  const grouped = [];
  for (const block of blocks) {
    const last = grouped.at(-1);
    if (last !== undefined && last.length + block.length <= PART_LINES) last.push(...block);
    else grouped.push([...block]);
  }
  return grouped;
}

/** `operations-2` → `operations_2`: a part's interface, named after its file. */
const typeName = (part) => part.replace("-", "_");

/** Re-indents lines by `by` spaces less (the members of components.schemas become members of an interface). */
const dedent = (lines, by) => lines.map((line) => (line.startsWith(" ".repeat(by)) ? line.slice(by) : line));

/**
 * The files of src/public/api-types/, by name, from openapi-typescript's `text` (whose first lines, `header`, say
 * where it comes from): index.ts exports paths, components and operations as the one file did.
 */
export function splitApiTypes(text, header) {
  // Its helper types (OneOf for a body that is one of several shapes) go into helpers.ts, imported where used.
  const helpers = text.split("\n").filter((line) => /^type (Without|XOR|OneOf)</.test(line));
  const files = new Map();
  const imports = (part, names) => {
    const text = part.join("\n");
    const used = names.filter((name) => new RegExp(`\\b${name}\\[`).test(text)).map((name) => `import type { ${name} } from "./${name}.js";\n`);
    return used.join("") + (/\bOneOf</.test(text) ? 'import type { OneOf } from "./helpers.js";\n' : "");
  };
  const file = (name, body) => files.set(name, header + body);

  // Each part an interface of its own (NAME_1 in NAME-1.ts); the names of the parts, in order.
  const partFiles = (prefix, pieces, others) =>
    pieces.map((piece, index) => {
      const part = `${prefix}-${index + 1}`;
      file(`${part}.ts`, `${imports(piece, others)}\nexport interface ${typeName(part)} {\n${piece.join("\n")}\n}\n`);
      return part;
    });
  const importParts = (names) => names.map((part) => `import type { ${typeName(part)} } from "./${part}.js";\n`).join("");

  for (const name of ["paths", "operations"]) {
    const others = ["components", "operations"].filter((other) => other !== name);
    const pieces = parts(members(interfaceBody(text, name), 2));
    if (pieces.length === 1) {
      file(`${name}.ts`, `${imports(pieces[0], others)}\nexport interface ${name} {\n${pieces[0].join("\n")}\n}\n`);
    } else {
      const names = partFiles(name, pieces, ["components", "operations"]);
      file(`${name}.ts`, `${importParts(names)}\nexport interface ${name} extends ${names.map(typeName).join(", ")} {}\n`);
    }
  }

  // components: its schemas cut between schemas; its other members (responses, parameters, … all never) kept as they are.
  const componentMembers = members(interfaceBody(text, "components"), 2);
  const schemasAt = componentMembers.findIndex((block) => block.some((line) => line === "  schemas: {"));
  const rest = componentMembers.filter((_, index) => index !== schemasAt).flat();
  let schemasType = "never";
  let schemaImports = "";
  if (schemasAt >= 0) {
    const block = componentMembers[schemasAt];
    const opening = block.indexOf("  schemas: {");
    const inner = dedent(block.slice(opening + 1, -1), 2);
    const names = partFiles("schemas", parts(members(inner, 2)), ["components"]);
    schemasType = names.map(typeName).join(" & ");
    schemaImports = importParts(names);
    rest.unshift(...block.slice(0, opening));
  }
  file("components.ts", `${schemaImports}\nexport interface components {\n  schemas: ${schemasType};\n${rest.join("\n")}\n}\n`);

  if (helpers.length > 0) file("helpers.ts", `${helpers.map((line) => `export ${line}`).join("\n")}\n`);
  file(
    "index.ts",
    `export type { paths } from "./paths.js";\nexport type { operations } from "./operations.js";\nexport type { components } from "./components.js";\n` +
      "export type webhooks = Record<string, never>;\nexport type $defs = Record<string, never>;\nexport type external = Record<string, never>;\n",
  );
  return files;
}
