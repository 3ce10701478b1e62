/**
 * prunner's `{{ .name }}` stays a value in every placement where the
 * script's shell reads it (issue 12): ten hostile payloads run for real
 * through a pipelines.yml with `spire run -f`, in every placement, create
 * nothing and arrive intact. Where another parser would read the value
 * again (sh -c, eval, a pipe into a shell, arithmetic, …) the file is
 * refused at the template's own line and column, and nothing runs.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { spire } from "../helpers/cli.js";

checkNoLeftoverProcesses();

function payloads(witness: string): string[] {
  return [
    `$(touch ${witness})`,
    `\`touch ${witness}\``,
    `; touch ${witness}`,
    `| touch ${witness}`,
    `&& touch ${witness}`,
    `x[$(touch ${witness})]`,
    `;\${IFS}touch\${IFS}${witness}`,
    `'; touch ${witness}; '`,
    `"; touch ${witness}; "`,
    `a\ntouch ${witness}`,
  ];
}

/** Placements where the script's shell reads the value; each line writes it to out/NAME.I (I: the payload). */
const PLACEMENTS: Record<string, (variable: string, out: string) => string> = {
  bare: (v, out) => `printf '%s' ${v} > ${out}`,
  double: (v, out) => `printf '%s' "${v}" > ${out}`,
  single: (v, out) => `printf '%s' '${v}' > ${out}`,
  inside_words: (v, out) => `printf '%s' "<"${v}'>' > ${out}`,
  substitution: (v, out) => `printf '%s' "$(printf '%s' ${v})" > ${out}`,
  backquotes: (v, out) => `printf '%s' "\`printf '%s' ${v}\`" > ${out}`,
  assignment: (v, out) => `value=${v}; printf '%s' "$value" > ${out}`,
  for_list: (v, out) => `for value in ${v}; do printf '%s' "$value"; done > ${out}`,
  case_word: (v, out) => `case ${v} in *) printf '%s' ${v};; esac > ${out}`,
  test_string: (v, out) => `[[ ${v} == *touch* ]] && printf '%s' ${v} > ${out}`,
  after_sh_c_code: (v, out) => `sh -c 'printf "%s" "$1"' sh ${v} > ${out}`,
  pipe_to_cat: (v, out) => `printf '%s' ${v} | cat > ${out}`,
  here_document: (v, out) => `cat <<EOF > ${out}\n${v}\nEOF`,
  here_string: (v, out) => `cat <<< ${v} > ${out}`,
};
/** What a placement writes, when it is not the value itself. */
const WRITES: Record<string, (value: string) => string> = {
  inside_words: (value) => `<${value}>`,
  here_document: (value) => `${value}\n`,
  here_string: (value) => `${value}\n`,
};

test("ten payloads in every placement the script's shell reads: nothing runs, every value arrives intact", async (t) => {
  const dir = tempDir(t);
  const witness = join(dir, "pwned");
  const values = payloads(witness);
  mkdirSync(join(dir, "out"));
  const tasks = Object.entries(PLACEMENTS).map(([name, place]) => {
    const lines = values.map((_, index) => place(`{{ .p${index} }}`, `out/${name}.${index}`));
    return [`      ${name}:`, "        script:", ...lines.map((line) => `          - ${JSON.stringify(line)}`)].join("\n");
  });
  const file = join(dir, "pipelines.yml");
  writeFileSync(file, `pipelines:\n  values:\n    tasks:\n${tasks.join("\n")}\n`);
  const args = values.flatMap((value, index) => ["--arg", `p${index}=${value}`]);
  const result = await spire(["run", "-f", file, "--json", ...args], { data: join(dir, "data") });
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.equal(existsSync(witness), false, "no payload ran");
  for (const name of Object.keys(PLACEMENTS)) {
    values.forEach((value, index) => {
      const expected = WRITES[name]?.(value) ?? value;
      assert.equal(readFileSync(join(dir, "out", `${name}.${index}`), "utf8"), expected, `${name} with payload ${index}`);
    });
  }
});

/** Placements where another parser would read the value again: refused at the template. */
const REFUSED: [string, RegExp][] = [
  ['sh -c "echo {{ .name }}"', /^`\{\{ \.name }}` cannot stand here: sh runs it as code$/],
  ["bash -c 'echo {{ .name }}'", /bash runs it as code/],
  ['eval "echo {{ .name }}"', /eval runs it as code/],
  ['echo ok && python3 -c "print(\'{{ .name }}\')"', /python runs it as code/],
  ['ssh backup.example.org "ls {{ .name }}"', /ssh sends it to the remote shell, which parses it as code/],
  ["echo {{ .name }} | sh", /sh reads its commands from its input, which carries this value: it would run as code/],
  ["echo {{ .name }} | tr a-z A-Z | bash", /bash reads its commands from its input/],
  ["bash <<EOF\necho {{ .name }}\nEOF", /bash reads its commands from its input/],
  ["cat <<'EOF'\n{{ .name }}\nEOF", /in a here-document whose delimiter is quoted, no variable is read/],
  ['echo $(( {{ .name }} + 1 ))', /bash evaluates it as arithmetic, which runs any \$\( \) in the value/],
  ["[[ {{ .name }} -gt 3 ]] && echo big", /bash evaluates it as arithmetic/],
  ['sudo -u backup sh -c "tar czf /tmp/x.tgz {{ .name }}"', /sh runs it as code/],
  ['echo {{ .name }} | xargs sh -c', /sh reads its commands from its input/],
  ['trap "rm -f {{ .name }}" EXIT', /trap runs its action as code/],
  ["BASH_ENV={{ .name }} bash -c true", /it sets BASH_ENV, which programs read as code/],
];

test("a value where another parser reads it again is refused at its line and column, with how to read it instead", async (t) => {
  const dir = tempDir(t);
  const lines = ["pipelines:", "  refused:", "    tasks:"];
  const where: { line: number; column: number; key: string }[] = [];
  REFUSED.forEach(([script], index) => {
    lines.push(`      t${index}:`, "        script:");
    // A first template that is fine, so that the position found is the one refused.
    const scalar = JSON.stringify(`echo {{ .name }}; ${script}`);
    const column = `          - `.length + scalar.lastIndexOf("{{ .name }}") + 1;
    where.push({ line: lines.length + 1, column, key: `pipelines.refused.tasks.t${index}.script[0]` });
    lines.push(`          - ${scalar}`);
  });
  const file = join(dir, "pipelines.yml");
  writeFileSync(file, `${lines.join("\n")}\n`);
  const witness = join(dir, "pwned");
  const result = await spire(["run", "-f", file, "--arg", `name=$(touch ${witness})`], { data: join(dir, "data") });
  assert.equal(result.code, 2, result.stderr);
  assert.equal(existsSync(witness), false, "nothing ran");
  const errors = result.stderr.split("\n").filter((line) => line.startsWith(file));
  assert.equal(errors.length, REFUSED.length, result.stderr);
  REFUSED.forEach(([script, message], index) => {
    const { line, column, key } = where[index]!;
    const error = errors.find((candidate) => candidate.startsWith(`${file}:${line}:`));
    assert.ok(error, `no error on line ${line} for ${script}:\n${result.stderr}`);
    // A template refused because of a pipe or here-document may be the first one on the line.
    assert.ok(error.startsWith(`${file}:${line}:${column}  ${key}: `) || script.includes("|") || script.includes("<<"), `${script}: ${error}`);
    const [text, hint] = error.slice(error.indexOf(": ") + 2).split(" — ");
    assert.match(text!, message, script);
    assert.match(hint ?? "", /\$SPIRE_ARG_NAME|SendEnv=SPIRE_ARG_NAME|unquote the delimiter/, script);
  });
});
