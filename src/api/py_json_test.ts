import assert from "node:assert/strict";
import { JsonNumber, parseWithSources, pyDump, pyFloatRepr, pyType } from "./py_json.ts";
import { decodeRequest } from "./wire.ts";

Deno.test("pyFloatRepr() writes floats as Python's repr does", () => {
  // Expected values printed by CPython 3.11's repr().
  const table: [number, string][] = [
    [9, "9.0"],
    [1e16, "1e+16"],
    [1e15, "1000000000000000.0"],
    [1e5, "100000.0"],
    [0.1, "0.1"],
    [-0, "-0.0"],
    [1.5e-7, "1.5e-07"],
    [0.0001, "0.0001"],
    [0.00001, "1e-05"],
    [123.456, "123.456"],
    [1e22, "1e+22"],
    [5e-324, "5e-324"],
    [1.7976931348623157e308, "1.7976931348623157e+308"],
    [-3.25e-5, "-3.25e-05"],
    [1234567890123456.7, "1234567890123456.8"],
    [Infinity, "Infinity"],
    [-Infinity, "-Infinity"],
    [NaN, "NaN"],
  ];
  for (const [x, want] of table) assert.equal(pyFloatRepr(x), want, String(x));
});

Deno.test("parseWithSources() keeps each number's text; pyDump/pyType render it as Python", () => {
  const v = parseWithSources('{"a": 9.0, "b": [1e16, 12345678901234567890, -0, 2]}') as {
    a: JsonNumber;
    b: JsonNumber[];
  };
  assert.ok(v.a instanceof JsonNumber);
  assert.deepEqual([pyType(v.a), pyType(v.b[1]), pyType(v.b[2])], ["float", "int", "int"]);
  assert.equal(pyDump(v), '{"a":9.0,"b":[1e+16,12345678901234567890,0,2]}');
  // Without the source, JSON.parse's value is all there is.
  assert.deepEqual([pyDump(9), pyType(9), pyDump(0.5), pyType(0.5)], ["9", "int", "0.5", "float"]);
});

Deno.test("decodeRequest() names a float sent for a string as Python would", () => {
  const msg = (text: string) => {
    try {
      decodeRequest("experiments/create", parseWithSources(text));
    } catch (e) {
      return (e as Error).message;
    }
    return "accepted";
  };
  assert.match(
    msg('{"name": 9.0}'),
    /^Invalid value 9\.0 for parameter 'name' supplied: .*'float'/,
  );
  assert.match(msg('{"name": 1E5}'), /Invalid value 100000\.0 .*'float'/);
  assert.match(
    msg('{"name": "x", "tags": [{"key": "k", "value": 3.0}]}'),
    /3\.0 .*tags\[0\]\.value/,
  );
  // Numeric fields take the number as usual.
  const ok = decodeRequest(
    "runs/log-metric",
    parseWithSources('{"run_id": "r", "key": "k", "value": 2.0, "timestamp": 1.0, "step": 3}'),
  );
  assert.deepEqual([ok.value, ok.timestamp, ok.step], [2, 1, 3]);
});
