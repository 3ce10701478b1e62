/**
 * Where a key path of a config file's definitions is written in its source:
 * the object literal the file exports (through `defineConfig(…)`,
 * `satisfies`, a `const` it names, or the object a function returns), walked
 * key by key. Keys spread in (`...after("dump")`) and values built by other
 * code cannot be followed: the error is then shown at the deepest place that
 * can, as YAML errors are for keys that are missing.
 *
 * @babel/parser reads the source as written (TypeScript included), so the
 * places are the user's own lines and columns, with no mapping back through
 * the compiled code. It is loaded and run only when there is something to
 * place: a valid config costs no parse.
 */
import type { PathSegment } from "../errors.js";
import { atFirstUse } from "../../modules/at-first-use.js";
import { noDocument, SourceMap, type Located, type Position } from "../positions.js";

/** The few fields of a Babel node this walk reads. */
interface AstNode {
  type: string;
  start?: number | null;
  end?: number | null;
  loc?: { start: { line: number; column: number } } | null;
  [field: string]: unknown;
}

interface Step {
  key: AstNode | undefined;
  value: AstNode;
}

const WRAPPERS = new Set(["TSAsExpression", "TSSatisfiesExpression", "TSNonNullExpression", "TSTypeAssertion", "ParenthesizedExpression", "AwaitExpression"]);

const babelParser = atFirstUse<typeof import("@babel/parser")>("@babel/parser");

export class ScriptSourceMap extends SourceMap {
  private parsed: { root: AstNode | undefined } | undefined;
  private readonly constants = new Map<string, AstNode>();

  constructor(
    private readonly text: string,
    private readonly typescript: boolean,
  ) {
    super(noDocument);
  }

  /** The exported definitions' node, the source parsed on first use. */
  private get root(): AstNode | undefined {
    this.parsed ??= { root: this.parse() };
    return this.parsed.root;
  }

  private parse(): AstNode | undefined {
    const { parse } = babelParser();
    let program: AstNode | undefined;
    try {
      program = parse(this.text, { sourceType: "unambiguous", plugins: this.typescript ? ["typescript"] : [], errorRecovery: true }).program as unknown as AstNode;
    } catch {
      // Compiling reports the syntax error; here the places fall back to the start of the file.
    }
    const body = (program?.body ?? []) as AstNode[];
    for (const statement of body) this.collectConstants(statement);
    const exported = body.find((statement) => statement.type === "ExportDefaultDeclaration")?.declaration as AstNode | undefined;
    return exported === undefined ? this.commonJsExport(body) : exported;
  }

  override position(offset: number): Position {
    const before = this.text.slice(0, offset);
    const lineStart = before.lastIndexOf("\n") + 1;
    return { line: before.split("\n").length, column: offset - lineStart + 1 };
  }

  override locate(path: readonly PathSegment[], at: "value" | "key" = "value"): Located {
    const steps = this.walkSource(path);
    const last = steps[steps.length - 1];
    if (last === undefined) return { position: this.startOfNode(this.root), found: 0 };
    const collection = ["ObjectExpression", "ArrayExpression"].includes(this.unwrap(last.value).type);
    const node = at === "key" || collection ? (last.key ?? last.value) : last.value;
    return { position: this.startOfNode(node), found: steps.length };
  }

  override locateInScalar(path: readonly PathSegment[], text: string, _source: string, occurrence = 0): Position | undefined {
    const steps = this.walkSource(path);
    const node = steps.length === path.length ? steps[steps.length - 1]?.value : undefined;
    if (node === undefined || !["StringLiteral", "TemplateLiteral"].includes(node.type) || typeof node.start !== "number" || typeof node.end !== "number") return undefined;
    const written = this.text.slice(node.start, node.end);
    let index = written.indexOf(text);
    for (let skipped = 0; skipped < occurrence && index >= 0; skipped++) index = written.indexOf(text, index + text.length);
    return index < 0 ? undefined : this.position(node.start + index);
  }

  override pathAt(): PathSegment[] {
    return [];
  }

  private walkSource(path: readonly PathSegment[]): Step[] {
    const steps: Step[] = [];
    let node = this.root;
    for (const segment of path) {
      const step = node === undefined ? undefined : this.child(this.unwrap(node), segment);
      if (step === undefined) break;
      steps.push(step);
      node = step.value;
    }
    return steps;
  }

  private child(node: AstNode, segment: PathSegment): Step | undefined {
    if (node.type === "ObjectExpression") {
      const properties = node.properties as AstNode[];
      // The last writer of a key wins, as in the object the code builds.
      for (const property of [...properties].reverse()) {
        if ((property.type === "ObjectProperty" || property.type === "ObjectMethod") && !property.computed && keyName(property.key as AstNode) === String(segment)) {
          return { key: property.key as AstNode, value: property.type === "ObjectMethod" ? property : (property.value as AstNode) };
        }
        if (property.type === "SpreadElement") {
          const inner = this.child(this.unwrap(property.argument as AstNode), segment);
          if (inner !== undefined) return inner;
        }
      }
      return undefined;
    }
    if (node.type === "ArrayExpression" && typeof segment === "number") {
      const elements = node.elements as (AstNode | null)[];
      // After a spread, indexes in the source no longer match the array's.
      if (elements.slice(0, segment + 1).some((element) => element?.type === "SpreadElement")) return undefined;
      const element = elements[segment];
      return element ? { key: undefined, value: element } : undefined;
    }
    return undefined;
  }

  /** The expression that holds the data: through type assertions, helper calls, constants and returned objects. */
  private unwrap(start: AstNode): AstNode {
    let node = start;
    const seen = new Set<AstNode>();
    while (!seen.has(node)) {
      seen.add(node);
      if (WRAPPERS.has(node.type)) node = (node.expression ?? node.argument) as AstNode;
      else if (node.type === "Identifier" && this.constants.has(node.name as string)) node = this.constants.get(node.name as string)!;
      else if (node.type === "CallExpression" && (node.arguments as AstNode[]).length > 0) node = (node.arguments as AstNode[])[0]!;
      else if (node.type === "ArrowFunctionExpression" || node.type === "FunctionExpression" || node.type === "FunctionDeclaration" || node.type === "ObjectMethod") {
        const returned = returnedExpression(node.body as AstNode);
        if (returned === undefined) break;
        node = returned;
      } else break;
    }
    return node;
  }

  private collectConstants(statement: AstNode): void {
    const declaration = statement.type === "ExportNamedDeclaration" ? (statement.declaration as AstNode | null) : statement;
    if (declaration?.type === "VariableDeclaration") {
      for (const declarator of declaration.declarations as AstNode[]) {
        const id = declarator.id as AstNode;
        if (id.type === "Identifier" && declarator.init) this.constants.set(id.name as string, declarator.init as AstNode);
      }
    }
    if (declaration?.type === "FunctionDeclaration" && (declaration.id as AstNode | null)?.type === "Identifier") this.constants.set((declaration.id as AstNode).name as string, declaration);
  }

  /** `module.exports = …` in a CommonJS config. */
  private commonJsExport(body: AstNode[]): AstNode | undefined {
    for (const statement of body) {
      const expression = statement.type === "ExpressionStatement" ? (statement.expression as AstNode) : undefined;
      if (expression?.type !== "AssignmentExpression") continue;
      const left = expression.left as AstNode;
      if (left.type === "MemberExpression" && (left.object as AstNode).name === "module" && (left.property as AstNode).name === "exports") return expression.right as AstNode;
    }
    return undefined;
  }

  private startOfNode(node: AstNode | undefined): Position {
    const start = node?.loc?.start;
    return start === undefined ? { line: 1, column: 1 } : { line: start.line, column: start.column + 1 };
  }
}

function keyName(key: AstNode): string | undefined {
  if (key.type === "Identifier") return key.name as string;
  if (key.type === "StringLiteral" || key.type === "NumericLiteral") return String(key.value);
  return undefined;
}

function returnedExpression(body: AstNode): AstNode | undefined {
  if (body.type !== "BlockStatement") return body;
  const statements = body.body as AstNode[];
  const last = [...statements].reverse().find((statement) => statement.type === "ReturnStatement");
  return (last?.argument as AstNode | null | undefined) ?? undefined;
}
