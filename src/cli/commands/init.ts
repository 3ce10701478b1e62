/**
 * `spire init [--template T] [-f FILE]`: a commented spire.yaml to start
 * from, never over an existing file. The templates are YAML files shipped
 * with the package (templates/), each checked by the tests as written; the
 * first line, which points editors at the schema, is made here to point at
 * this installation's schema.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { CliError, EXIT } from "../errors.js";
import { DEFAULT_TEMPLATE, INIT_TEMPLATES } from "../init-templates.js";
import { writeNewFile } from "../new-file.js";
import { schemaUrl, TEMPLATES_DIR } from "../package-files.js";

export interface InitOptions {
  template?: string;
  file: string;
  list?: boolean;
}

export async function initCommand(options: InitOptions): Promise<void> {
  if (options.list) {
    const width = Math.max(...INIT_TEMPLATES.map((template) => template.name.length));
    for (const template of INIT_TEMPLATES) {
      process.stdout.write(`${template.name.padEnd(width)}  ${template.summary}${template.name === DEFAULT_TEMPLATE ? " (the default)" : ""}\n`);
    }
    return;
  }
  const name = options.template ?? DEFAULT_TEMPLATE;
  const template = INIT_TEMPLATES.find((known) => known.name === name);
  if (template === undefined) {
    throw new CliError(`no template "${name}"`, EXIT.usage, `The templates: ${INIT_TEMPLATES.map((known) => known.name).join(", ")} (spire init --list says what each is).`);
  }
  const text = withSchemaLine(await readFile(join(TEMPLATES_DIR, `${template.name}.yaml`), "utf8"));
  await writeNewFile(options.file, text, { flag: "-f", example: `spire init -f ${template.name}.yaml${name === DEFAULT_TEMPLATE ? "" : ` --template ${name}`}` });
  const file = options.file === "spire.yaml" ? "" : ` -f ${options.file}`;
  const withFile = `-f ${options.file}`;
  process.stdout.write(
    [
      `wrote ${options.file} (the ${template.name} template: pipeline ${template.pipeline}). Read it, change it, then:`,
      `  spire validate${file}`,
      `  spire run ${withFile} ${template.pipeline}`,
      `  spire engine ${withFile}`,
      "",
    ].join("\n"),
  );
}

/** The template's first line points at the schema in the repository; the written file's at the installed one. */
function withSchemaLine(text: string): string {
  return text.replace(/^# yaml-language-server: \$schema=.*$/m, () => `# yaml-language-server: $schema=${schemaUrl()}`);
}
