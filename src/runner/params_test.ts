import assert from "node:assert/strict";
import { bindParams, checkType, isUsageError, paramsToLog, parseParamArgs } from "./params.ts";
import type { EntryPoint } from "./spec.ts";

const entry: EntryPoint = {
  name: "main",
  command: "train {alpha} {epochs}",
  script: false,
  parameters: [
    { name: "alpha", type: "float", default: "0.1" },
    { name: "epochs", type: "int" },
    { name: "data", type: "path" },
    { name: "src", type: "uri", default: "s3://b/k" },
  ],
};

Deno.test("parseParamArgs() splits on the first = and refuses repeats", () => {
  assert.deepEqual([...parseParamArgs(["a=1", "eq=1+2=3", "e="])], [["a", "1"], ["eq", "1+2=3"], [
    "e",
    "",
  ]]);
  for (const bad of [["noeq"], ["=v"], ["a=1", "a=2"]]) {
    try {
      parseParamArgs(bad);
      assert.fail(`accepted ${bad}`);
    } catch (e) {
      assert.ok(isUsageError(e), String(e));
    }
  }
  assert.throws(() => parseParamArgs(["a=1", "a=1"]), /Repeated parameter: "a"/);
});

Deno.test("bindParams() names every missing parameter in one error", () => {
  assert.throws(
    () => bindParams(entry, new Map()),
    /^MltError: No value given for missing parameters: "epochs", "data"; add -P epochs=<value> -P data=<value>$/,
  );
});

Deno.test("bindParams() fills defaults and keeps extras in user order", () => {
  const b = bindParams(
    entry,
    new Map([["zeta", "z z"], ["epochs", "3"], ["data", "x.csv"], ["a.b-c", "1"]]),
  );
  assert.deepEqual(b.declared.map((p) => p.value), ["0.1", "3", "x.csv", "s3://b/k"]);
  assert.deepEqual(b.extras, [["zeta", "z z"], ["a.b-c", "1"]]);
  assert.deepEqual(paramsToLog(b).map((p) => `${p.key}=${p.value}`), [
    "alpha=0.1",
    "epochs=3",
    "data=x.csv",
    "src=s3://b/k",
    "zeta=z z",
    "a.b-c=1",
  ]);
});

Deno.test("bindParams() refuses unsafe undeclared keys and NUL bytes", () => {
  const base: [string, string][] = [["epochs", "1"], ["data", "d"]];
  for (const key of ["x;touch /tmp/pwn", "--help", "$(id)", "-x", "1a", "a b", ""]) {
    assert.throws(
      () => bindParams(entry, new Map([...base, [key, "1"]])),
      /Invalid parameter name/,
      key,
    );
  }
  assert.throws(() => bindParams(entry, new Map([...base, ["alpha", "1\0"]])), /NUL/);
});

Deno.test("checkType() validates int, float, uri and path strictly", () => {
  const ok: [string, string][] = [
    ["int", "42"],
    ["int", "-3"],
    ["float", "0.1"],
    ["float", "1e-3"],
    ["float", ".5"],
    ["float", "2."],
    ["float", "-inf"],
    ["float", "7"],
    ["uri", "s3://b/k"],
    ["uri", "file:///x"],
    ["path", "rel/x"],
    ["string", ""],
    ["bool", "whatever"],
  ];
  for (const [t, v] of ok) assert.equal(checkType("p", t, v), undefined, `${t} ${v}`);
  const bad: [string, string][] = [
    ["int", "1.5"],
    ["int", "abc"],
    ["int", ""],
    ["float", "abc"],
    ["float", "1,5"],
    ["float", "0.1; touch /tmp/pwn"],
    ["uri", "not a uri"],
    ["uri", "/local/path"],
    ["path", ""],
  ];
  for (const [t, v] of bad) assert.match(checkType("p", t, v) ?? "", /Parameter "p" must be/, v);
});

Deno.test("bindParams() names a typo of a declared parameter: an error when it is missing", () => {
  const hello: EntryPoint = {
    name: "main",
    command: "hello {name} {greeting}",
    script: false,
    parameters: [{ name: "name", type: "string" }, {
      name: "greeting",
      type: "string",
      default: "Hello",
    }],
  };
  assert.throws(
    () => bindParams(hello, new Map([["nme", "world"]])),
    (e: Error) =>
      isUsageError(e) &&
      e.message === 'No value given for missing parameters: "name"; "nme" is not a parameter ' +
          'of entry point "main": did you mean "name"?',
  );
  // A typo of an optional parameter is passed on as MLflow does, with one warning line.
  const b = bindParams(hello, new Map([["name", "w"], ["greting", "Hi"], ["epochs", "3"]]));
  assert.deepEqual(b.extras, [["greting", "Hi"], ["epochs", "3"]]);
  assert.deepEqual(b.warnings, [
    'warning: "greting" is not a parameter of entry point "main" (did you mean "greeting"?); ' +
    "passing it on as --greting, as MLflow does",
  ]);
  assert.deepEqual(bindParams(hello, new Map([["name", "w"]])).warnings, []);
});
