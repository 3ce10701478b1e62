import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { GATOR_TREE, planOf } from "./fixtures.js";
import type { Plan } from "../../src/plan/types.js";

function paths(plan: Plan, type?: "task" | "group" | "array"): string[] {
  return plan.nodes.filter((node) => type === undefined || node.type === type).map((node) => node.path);
}

function node(plan: Plan, path: string) {
  const found = plan.byPath.get(path);
  assert.ok(found, `no node ${path}`);
  return found;
}

describe("expansion", () => {
  test("top-level tasks, a group and a repeat array get the paths of the spec", () => {
    const plan = planOf({
      dump: { run: "true" },
      checks: { group: { size: { run: "true" }, ping: { run: "true" } } },
      shards: { repeat: 4, run: "true", parallel: 2 },
    });
    assert.deepEqual(paths(plan), ["dump", "checks", "checks/size", "checks/ping", "shards", "shards[0]", "shards[1]", "shards[2]", "shards[3]"]);
    assert.equal(node(plan, "checks").type, "group");
    assert.deepEqual(node(plan, "checks").children, ["checks/size", "checks/ping"]);
    assert.equal(node(plan, "checks/size").parent, "checks");
    assert.equal(node(plan, "shards").type, "array");
    assert.equal(node(plan, "shards[2]").type, "task");
    assert.equal(node(plan, "shards[2]").arrayIndex, 2);
    assert.equal(node(plan, "shards[2]").name, "shards");
    assert.equal(node(plan, "shards[2]").def.repeat, undefined, "a copy's def has no repeat");
    assert.equal(node(plan, "shards").def.repeat, 4);
    assert.deepEqual(node(plan, "checks/ping").keyPath, ["pipelines", "p", "tasks", "checks", "group", "ping"]);
  });

  test("the Gator tree: arrays of groups and nested arrays", () => {
    const plan = planOf(GATOR_TREE);
    assert.deepEqual(node(plan, "array").children, ["array[0]", "array[1]", "array[2]", "array[3]"]);
    const copy = node(plan, "array[1]");
    assert.equal(copy.type, "group");
    assert.deepEqual(copy.children, ["array[1]/say_count", "array[1]/nested"]);
    assert.equal(node(plan, "array[1]/say_count").arrayIndex, 1);
    assert.equal(node(plan, "array[1]/nested").type, "array");
    assert.equal(node(plan, "array[2]/nested[1]").type, "group");
    const leaf = node(plan, "array[2]/nested[1]/nested_say_count");
    assert.equal(leaf.type, "task");
    assert.equal(leaf.arrayIndex, 1, "the innermost copy's index");
    assert.deepEqual(leaf.keyPath, ["pipelines", "p", "tasks", "array", "group", "nested", "group", "nested_say_count"]);
    assert.equal(paths(plan, "task").length, 2 + 1 + 4 * (1 + 3));
  });

  test("matrix copies are the cartesian product, first key slowest", () => {
    const plan = planOf({ build: { matrix: { os: ["linux", "mac"], py: [3.11, 3.12, true] }, exec: ["make"] } });
    const copies = node(plan, "build").children.map((path) => node(plan, path));
    assert.deepEqual(copies.map((copy) => copy.path), ["build[0]", "build[1]", "build[2]", "build[3]", "build[4]", "build[5]"]);
    assert.deepEqual(copies.map((copy) => copy.matrix), [
      { os: "linux", py: 3.11 }, { os: "linux", py: 3.12 }, { os: "linux", py: true },
      { os: "mac", py: 3.11 }, { os: "mac", py: 3.12 }, { os: "mac", py: true },
    ]);
    assert.deepEqual(copies.map((copy) => copy.arrayIndex), [0, 1, 2, 3, 4, 5]);
  });

  test("matrix values of enclosing copies reach the tasks inside, inner keys winning", () => {
    const plan = planOf({
      outer: { matrix: { os: ["linux"], v: [1] }, group: { inner: { matrix: { v: [2, 3] }, run: "true" } } },
    });
    assert.deepEqual(node(plan, "outer[0]/inner[1]").matrix, { os: "linux", v: 3 });
    assert.deepEqual(node(plan, "outer[0]").matrix, { os: "linux", v: 1 });
  });

  test("env: pipeline < enclosing groups < own, unrendered", () => {
    const plan = planOf(
      {
        outer: {
          env: { A: "outer", B: "outer" },
          group: {
            inner: { env: { B: "inner", C: "inner" }, group: { leaf: { env: { C: "leaf", D: "${{ args.x }}" }, run: "true" } } },
            arr: { repeat: 2, env: { A: "arr" }, run: "true" },
          },
        },
        top: { run: "true" },
      },
      { env: { A: "pipe", Z: "pipe" } },
    );
    assert.deepEqual(node(plan, "outer/inner/leaf").env, { A: "outer", B: "inner", C: "leaf", D: "${{ args.x }}", Z: "pipe" });
    assert.deepEqual(node(plan, "outer/arr[1]").env, { A: "arr", B: "outer", Z: "pipe" });
    assert.deepEqual(node(plan, "top").env, { A: "pipe", Z: "pipe" });
  });

  test("parallel limits of every enclosing array", () => {
    const plan = planOf({
      a: { repeat: 2, parallel: 1, group: { b: { repeat: 3, parallel: 2, run: "true" }, c: { repeat: 2, run: "true" } } },
    });
    assert.deepEqual(node(plan, "a[1]/b[2]").parallelLimits, [{ path: "a", max: 1 }, { path: "a[1]/b", max: 2 }]);
    assert.deepEqual(node(plan, "a[0]/c[0]").parallelLimits, [{ path: "a", max: 1 }]);
    assert.deepEqual(node(plan, "a").parallelLimits, []);
  });

  test("allow_failure is inherited by the tasks of a group unless they set it", () => {
    const plan = planOf({ g: { allow_failure: true, group: { x: { run: "true" }, y: { run: "true", allow_failure: false } } }, z: { run: "true" } });
    assert.equal(node(plan, "g/x").allowFailure, true);
    assert.equal(node(plan, "g/y").allowFailure, false);
    assert.equal(node(plan, "z").allowFailure, false);
  });
});

describe("name resolution and deps", () => {
  test("needs, on_fail and on_done become deps; a group's conditions reach everything inside", () => {
    const plan = planOf({
      dump: { run: "true" },
      compress: { needs: ["dump"], run: "true" },
      cleanup: { on_done: ["compress"], run: "true" },
      alert: { on_fail: ["dump", "compress"], run: "true" },
      checks: { depends_on: ["compress"], group: { size: { run: "true" }, ping: { needs: ["size"], run: "true" } } },
    });
    assert.deepEqual(node(plan, "compress").deps, [{ path: "dump", on: "pass", from: "compress" }]);
    assert.deepEqual(node(plan, "cleanup").deps, [{ path: "compress", on: "done", from: "cleanup" }]);
    assert.deepEqual(node(plan, "alert").deps, [
      { path: "dump", on: "fail", from: "alert" },
      { path: "compress", on: "fail", from: "alert" },
    ]);
    assert.deepEqual(node(plan, "checks/ping").deps, [
      { path: "checks/size", on: "pass", from: "checks/ping" },
      { path: "compress", on: "pass", from: "checks" },
    ]);
  });

  test("inside an array copy a sibling is the sibling of the same copy; other names come from outer scopes", () => {
    const plan = planOf({
      prepare: { run: "true" },
      say_count: { run: "true" },
      arr: {
        repeat: 3,
        needs: ["prepare"],
        group: { say_count: { run: "true" }, report: { needs: ["say_count", "prepare"], run: "true" } },
      },
      after: { needs: ["say_count", "arr"], run: "true" },
    });
    assert.deepEqual(node(plan, "arr[1]/report").deps, [
      { path: "arr[1]/say_count", on: "pass", from: "arr[1]/report" },
      { path: "prepare", on: "pass", from: "arr[1]/report" },
      { path: "prepare", on: "pass", from: "arr" },
    ]);
    assert.deepEqual(node(plan, "after").deps.map((dep) => dep.path), ["say_count", "arr"]);
    assert.deepEqual(node(plan, "arr[2]").deps, [{ path: "prepare", on: "pass", from: "arr" }]);
  });

  test("a name can denote a group or an array; nested groups look outwards level by level", () => {
    const plan = planOf({
      x: { run: "true" },
      g: {
        group: {
          x: { run: "true" },
          h: { group: { y: { needs: ["x"], run: "true" }, z: { needs: ["g2"], run: "true" } } },
        },
      },
      g2: { repeat: 2, run: "true" },
    });
    assert.equal(node(plan, "g/h/y").deps[0]?.path, "g/x", "the nearest x wins");
    assert.equal(node(plan, "g/h/z").deps[0]?.path, "g2");
  });

  test("taskRefs resolve like needs, from every templated field", () => {
    const plan = planOf({
      dump: { run: "true" },
      arr: {
        repeat: 2,
        needs: ["dump"],
        group: {
          make: { run: "true" },
          use: {
            needs: ["make"],
            env: { SIZE: "${{ tasks.dump.outputs.size }}" },
            exec: ["echo", "${{ tasks.make.outputs.file }}"],
            cwd: "/tmp/${{ args.dir }}",
          },
        },
      },
      web: {
        needs: ["arr"],
        http: { url: "http://x/${{ tasks.dump.outputs.id }}", headers: { A: "${{ tasks.arr.outputs.k }}" } },
      },
    });
    assert.deepEqual(node(plan, "arr[1]/use").taskRefs, { dump: "dump", make: "arr[1]/make" });
    assert.deepEqual(node(plan, "web").taskRefs, { dump: "dump", arr: "arr" });
  });

  test("nodes come in topological order, parents first, a group's contents before its dependents", () => {
    const plan = planOf({
      last: { needs: ["g"], run: "true" },
      g: { needs: ["first"], group: { a: { run: "true" }, b: { needs: ["a"], run: "true" } } },
      first: { run: "true" },
      free: { run: "true" },
    });
    assert.deepEqual(paths(plan), ["first", "g", "g/a", "g/b", "last", "free"]);
    const position = new Map(plan.nodes.map((n, i) => [n.path, i]));
    for (const n of plan.nodes) {
      for (const dep of n.deps) assert.ok(position.get(dep.path)! < position.get(n.path)!, `${dep.path} before ${n.path}`);
      if (n.parent) assert.ok(position.get(n.parent)! < position.get(n.path)!);
    }
  });
});
