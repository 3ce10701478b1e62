import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { errorsOf } from "./fixtures.js";

describe("planning errors", () => {
  test("unknown_task with a did-you-mean among the names visible from that scope", () => {
    const errors = errorsOf({
      dump: { run: "true" },
      checks: { group: { size: { run: "true" }, ping: { needs: ["sise"], run: "true" } } },
      compress: { needs: ["dmp"], run: "true" },
      alert: { on_fail: ["nothing_like_it"], run: "true" },
    });
    assert.deepEqual(errors, [
      {
        code: "unknown_task",
        keyPath: ["pipelines", "p", "tasks", "checks", "group", "ping"],
        field: "needs",
        reference: "sise",
        message: 'unknown task "sise" in needs of checks/ping; did you mean "size"?',
        suggestion: "size",
      },
      {
        code: "unknown_task",
        keyPath: ["pipelines", "p", "tasks", "compress"],
        field: "needs",
        reference: "dmp",
        message: 'unknown task "dmp" in needs of compress; did you mean "dump"?',
        suggestion: "dump",
      },
      {
        code: "unknown_task",
        keyPath: ["pipelines", "p", "tasks", "alert"],
        field: "on_fail",
        reference: "nothing_like_it",
        message: 'unknown task "nothing_like_it" in on_fail of alert',
        hint: 'the tasks it can name here: "dump", "checks", "compress"',
      },
    ]);
  });

  test("a name inside a group is not visible from outside it", () => {
    const errors = errorsOf({ checks: { group: { size: { run: "true" } } }, after: { on_done: ["size"], run: "true" } });
    assert.equal(errors.length, 1);
    assert.equal(errors[0]?.message, 'unknown task "size" in on_done of after');
    assert.equal(errors[0]?.suggestion, undefined);
    assert.equal(errors[0]?.hint, 'the tasks it can name here: "checks"', "the group, which it can wait for");
  });

  test("an unknown name with none close to it: the names it could be, and with none, that it can go", () => {
    const many = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`task${i}`, { run: "true" }]));
    const [crowded] = errorsOf({ ...many, last: { needs: ["zzzzzz"], run: "true" } });
    assert.equal(crowded?.hint, `the tasks it can name here: ${Array.from({ length: 10 }, (_, i) => `"task${i}"`).join(", ")} and 2 more`);
    const [alone] = errorsOf({ only: { needs: ["zzzzzz"], run: "true" } });
    assert.equal(alone?.hint, "there is no other task it could name: remove it");
  });

  test("a mistake inside an array is reported once, not once per copy", () => {
    const errors = errorsOf({ arr: { repeat: 5, group: { a: { needs: ["bb"], run: "true" }, b: { run: "true" } } } });
    assert.deepEqual(errors.map((error) => error.message), ['unknown task "bb" in needs of arr/a; did you mean "b"?']);
    assert.deepEqual(errors[0]?.keyPath, ["pipelines", "p", "tasks", "arr", "group", "a"]);
  });

  test("self_reference: a task naming itself, or a group that contains it", () => {
    const errors = errorsOf({
      dump: { needs: ["dump"], run: "true" },
      checks: { group: { size: { on_done: ["checks"], run: "true" } } },
      shards: { repeat: 2, env: { X: "${{ tasks.shards.outputs.n }}" }, exec: ["true"] },
    });
    assert.deepEqual(
      errors.map(({ code, keyPath, field, reference, message }) => ({ code, keyPath, field, reference, message })),
      [
        { code: "self_reference", keyPath: ["pipelines", "p", "tasks", "dump"], field: "needs", reference: "dump", message: "dump lists itself in needs" },
        {
          code: "self_reference",
          keyPath: ["pipelines", "p", "tasks", "checks", "group", "size"],
          field: "on_done",
          reference: "checks",
          message: "checks/size lists checks in on_done, but checks contains it; a group ends only after its tasks",
        },
        {
          code: "self_reference",
          keyPath: ["pipelines", "p", "tasks", "shards"],
          field: "env.X",
          reference: "shards",
          message: "env.X of shards uses outputs of shards, which contains it; a group ends only after its tasks",
        },
      ],
    );
  });

  test("a three-task cycle names its path, starting at the first task in the file", () => {
    const errors = errorsOf({
      free: { run: "true" },
      a: { needs: ["c"], run: "true" },
      b: { needs: ["a"], run: "true" },
      c: { on_done: ["b"], run: "true" },
    });
    assert.deepEqual(errors, [
      {
        code: "cycle",
        keyPath: ["pipelines", "p", "tasks", "a"],
        field: "needs",
        message: "dependency cycle: a → c → b → a",
        hint: 'none of them could ever start: remove one of these dependencies, such as "c" here',
      },
    ]);
  });

  test("a cycle through a group: the group waits for its tasks", () => {
    const errors = errorsOf({
      x: { needs: ["g"], run: "true" },
      g: { group: { inner: { needs: ["x"], run: "true" } } },
    });
    assert.equal(errors.length, 1);
    assert.equal(errors[0]?.code, "cycle");
    assert.equal(errors[0]?.message, "dependency cycle: x → g → g/inner → x");
    assert.deepEqual(errors[0]?.keyPath, ["pipelines", "p", "tasks", "x"]);
  });

  test("a cycle inside every copy of an array is reported once", () => {
    const errors = errorsOf({ arr: { repeat: 3, group: { a: { needs: ["b"], run: "true" }, b: { needs: ["a"], run: "true" } } } });
    assert.deepEqual(errors.map((error) => error.message), ["dependency cycle: arr/a → arr/b → arr/a"]);
  });

  test("not_upstream: outputs of a task that need not have ended", () => {
    const errors = errorsOf({
      dump: { run: "true" },
      other: { needs: ["dump"], run: "true" },
      use: { needs: ["other"], exec: ["echo", "${{ tasks.dump.outputs.size }}", "${{ tasks.side.outputs.x }}"] },
      side: { run: "true" },
      web: { http: { url: "http://h/${{ tasks.side.outputs.x }}", headers: { A: "${{ tasks.dump.outputs.y }}" } }, needs: ["side"] },
    });
    assert.deepEqual(errors, [
      {
        code: "not_upstream",
        keyPath: ["pipelines", "p", "tasks", "use"],
        field: "exec[2]",
        reference: "side",
        message: 'exec[2] of use uses outputs of side, which is not upstream of use; add "side" to needs',
      },
      {
        code: "not_upstream",
        keyPath: ["pipelines", "p", "tasks", "web"],
        field: "http.headers.A",
        reference: "dump",
        message: 'http.headers.A of web uses outputs of dump, which is not upstream of web; add "dump" to needs',
      },
    ]);
  });

  test("upstream through a group: depending on a group waits for what is inside it", () => {
    const errors = errorsOf({
      g: { group: { inner: { run: "true" }, other: { run: "true" } } },
      ok_use: { needs: ["g"], docker: { image: "alpine", command: ["echo"] }, env: { A: "${{ tasks.g.outputs.k }}" } },
      bad: { on_done: ["ok_use"], docker: { image: "x/${{ tasks.nope.outputs.k }}" } },
      in_group_bad: { group: { t: { cwd: "${{ tasks.bad.outputs.dir }}", run: "true" } } },
    });
    assert.deepEqual(errors.map((error) => [error.code, error.field, error.message]), [
      ["unknown_task", "docker.image", 'unknown task "nope" in docker.image of bad'],
      ["not_upstream", "cwd", 'cwd of in_group_bad/t uses outputs of bad, which is not upstream of in_group_bad/t; add "bad" to needs'],
    ]);
  });

  test("an inherited env value with a task template is reported where it was written", () => {
    const errors = errorsOf({
      dump: { run: "true" },
      g: { env: { SIZE: "${{ tasks.dump.outputs.size }}" }, group: { a: { run: "true" }, b: { run: "true" } } },
    });
    assert.deepEqual(errors.map(({ code, keyPath, field, message }) => ({ code, keyPath, field, message })), [
      { code: "not_upstream", keyPath: ["pipelines", "p", "tasks", "g"], field: "env.SIZE", message: 'env.SIZE of g uses outputs of dump, which is not upstream of g/a; add "dump" to needs' },
      { code: "not_upstream", keyPath: ["pipelines", "p", "tasks", "g"], field: "env.SIZE", message: 'env.SIZE of g uses outputs of dump, which is not upstream of g/b; add "dump" to needs' },
    ]);
  });

  test("all errors at once, of every kind", () => {
    const errors = errorsOf({
      a: { needs: ["b"], run: "true" },
      b: { needs: ["a", "b", "zzz"], run: "true" },
      c: { exec: ["${{ tasks.a.outputs.k }}"] },
    });
    assert.deepEqual(errors.map((error) => error.code).sort(), ["cycle", "not_upstream", "self_reference", "unknown_task"]);
  });
});
