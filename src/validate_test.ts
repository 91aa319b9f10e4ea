import assert from "node:assert/strict";
import {
  limitValue,
  posixNormpath,
  validateArtifactLocation,
  validateBatchLimits,
  validateExperimentId,
  validateExperimentName,
  validateKey,
  validateMaxResults,
  validateMetric,
  validateParam,
  validateRunId,
  validateText,
} from "./validate.ts";
import { MltError } from "./errors.ts";

function code(f: () => unknown): string | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    return e instanceof MltError ? e.code : String(e);
  }
}

Deno.test("posixNormpath() matches Python's posixpath.normpath", () => {
  const table: [string, string][] = [
    ["", "."],
    ["a", "a"],
    ["a/b", "a/b"],
    ["a//b", "a/b"],
    ["a/", "a"],
    ["./a", "a"],
    ["a/../b", "b"],
    ["../x", "../x"],
    ["/abs", "/abs"],
    ["//x", "//x"],
    ["///x", "/x"],
    ["a/./b/..", "a"],
  ];
  for (const [input, expected] of table) assert.equal(posixNormpath(input), expected, input);
});

Deno.test("validateKey() accepts MLflow's key characters", () => {
  for (const k of ["acc", "loss/train", "a b", "x:y", "a-b_c.d", "精度", "Ünïcode", "a/b/c"]) {
    assert.equal(validateKey(k), k);
  }
});

Deno.test("validateKey() refuses unsafe or non-normal keys", () => {
  const bad = ["../x", "/abs", "a\\b", "a\0b", "a//b", "a/", "./a", ".", "", "x;y", "a\nb", ".."];
  for (const k of bad) assert.equal(code(() => validateKey(k)), "INVALID_PARAMETER_VALUE", k);
  assert.equal(code(() => validateKey(undefined)), "INVALID_PARAMETER_VALUE");
  assert.equal(code(() => validateKey("k".repeat(251))), "INVALID_PARAMETER_VALUE");
  assert.equal(validateKey("k".repeat(250)).length, 250);
});

Deno.test("limitValue() truncates by default and refuses when asked", () => {
  assert.equal(limitValue("abcdef", 3, "x"), "abc");
  assert.equal(code(() => limitValue("abcdef", 3, "x", false)), "INVALID_PARAMETER_VALUE");
  assert.equal(validateParam({ key: "p", value: "v".repeat(7000) }).value.length, 6000);
});

Deno.test("validateMetric() checks value, timestamp and step", () => {
  const ok = { key: "m", value: NaN, timestamp: 0, step: -3 };
  assert.deepEqual(validateMetric(ok), ok);
  const bad = [
    { key: "m", value: "1" as unknown as number, timestamp: 1, step: 0 },
    { key: "m", value: 1, timestamp: -1, step: 0 },
    { key: "m", value: 1, timestamp: 1.5, step: 0 },
    { key: "m", value: 1, timestamp: 1, step: 0.5 },
    { key: "../m", value: 1, timestamp: 1, step: 0 },
  ];
  for (const m of bad) assert.equal(code(() => validateMetric(m)), "INVALID_PARAMETER_VALUE");
});

Deno.test("validateBatchLimits() enforces MLflow's batch limits", () => {
  const params = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `p${i}`, value: "" }));
  assert.equal(validateBatchLimits(new Array(1000), [], []), undefined);
  assert.equal(validateBatchLimits(new Array(800), params(100), new Array(100)), undefined);
  assert.equal(code(() => validateBatchLimits(new Array(1001), [], [])), "INVALID_PARAMETER_VALUE");
  assert.equal(code(() => validateBatchLimits([], params(101), [])), "INVALID_PARAMETER_VALUE");
  assert.equal(code(() => validateBatchLimits([], [], new Array(101))), "INVALID_PARAMETER_VALUE");
  assert.equal(
    code(() => validateBatchLimits(new Array(900), params(100), new Array(1))),
    "INVALID_PARAMETER_VALUE",
  );
  const dup = [{ key: "a", value: "1" }, { key: "a", value: "2" }];
  assert.match(
    (() => {
      try {
        validateBatchLimits([], dup, []);
      } catch (e) {
        return (e as Error).message;
      }
      return "";
    })(),
    /Duplicate parameter keys.*"a"/,
  );
});

Deno.test("validateRunId() and validateExperimentId() refuse path-like ids", () => {
  assert.equal(validateRunId("0123abcd"), "0123abcd");
  assert.equal(validateExperimentId("412846502151389845"), "412846502151389845");
  for (const id of ["../x", "a/b", "", "-a", "a b", 5]) {
    assert.equal(code(() => validateRunId(id)), "INVALID_PARAMETER_VALUE", String(id));
    assert.equal(code(() => validateExperimentId(id)), "INVALID_PARAMETER_VALUE", String(id));
  }
});

Deno.test("validateExperimentName() and validateMaxResults() check their ranges", () => {
  assert.equal(validateExperimentName("x"), "x");
  assert.equal(code(() => validateExperimentName("")), "INVALID_PARAMETER_VALUE");
  assert.equal(code(() => validateExperimentName("n".repeat(501))), "INVALID_PARAMETER_VALUE");
  assert.equal(validateMaxResults(50000), 50000);
  for (const n of [0, -1, 50001, 1.5, "10"]) {
    assert.equal(code(() => validateMaxResults(n)), "INVALID_PARAMETER_VALUE", String(n));
  }
});

Deno.test("validateText() refuses lone surrogates and keeps real text", () => {
  for (const ok of ["", "plain", "日本語 ✓ 🚀", "\uD83D\uDE80", "a\u0000b"]) {
    assert.equal(validateText(ok, "v"), ok);
  }
  assert.equal(validateText(undefined, "v"), undefined);
  for (const bad of ["\uD800", "a\uDC00", "\uDE80\uD83D", "x\uDBFF"]) {
    assert.throws(() => validateText(bad, "v"), /lone UTF-16 surrogate/, JSON.stringify(bad));
  }
  assert.throws(() => validateArtifactLocation("/tmp/\uD800"), /surrogate/);
  assert.throws(() => validateArtifactLocation("runs:/x"), /'runs:' URIs/);
});
