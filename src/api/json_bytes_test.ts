import assert from "node:assert/strict";
import type { Metric } from "../model.ts";
import { JsonBytes } from "./json_bytes.ts";
import { encodeMetric, encodeMetricsJson, writeMetricsJson } from "./wire.ts";

const text = (b: JsonBytes) => new TextDecoder().decode(b.bytes());

Deno.test("JsonBytes writes ASCII and UTF-8 text and grows past its first capacity", () => {
  const out = new JsonBytes(4);
  const parts = [
    "{",
    '"k":',
    '"ascii"',
    ',"é":"naïve – 日本 😀"',
    ',"x":"',
    "y".repeat(10_000),
    '"}',
  ];
  for (const p of parts) out.text(p);
  assert.equal(text(out), parts.join(""));
  assert.equal(out.length, new TextEncoder().encode(parts.join("")).length);
});

Deno.test("JsonBytes.truncate() drops what was written after a point", () => {
  const out = new JsonBytes();
  out.text('{"metrics":[');
  out.truncate(1);
  out.text("}");
  assert.equal(text(out), "{}");
});

const POINTS: Metric[] = [
  { key: "loss", value: 0.25, timestamp: 1_700_000_000_000, step: 0 },
  { key: "loss", value: NaN, timestamp: 1, step: 1 },
  { key: "naïve ☃", value: Infinity, timestamp: 2, step: 2 },
  { key: "naïve ☃", value: -Infinity, timestamp: 3, step: 3 },
  { key: 'q"uote', value: -0, timestamp: 4, step: 4, datasetName: "d", datasetDigest: "g" },
  { key: "m", value: 1e-300, timestamp: 5, step: 5, modelId: "m-1", runId: "r0" },
];

Deno.test("writeMetricsJson() writes the bytes of JSON.stringify(encodeMetric(…))", () => {
  for (const runId of [undefined, "abc"]) {
    const want = POINTS.map((m) => JSON.stringify(encodeMetric(m, runId))).join(",");
    assert.equal(encodeMetricsJson(POINTS, runId), `[${want}]`);
    // Appended in two calls, the second after a comma.
    const out = new JsonBytes(8);
    writeMetricsJson(out, POINTS.slice(0, 2), runId);
    writeMetricsJson(out, POINTS.slice(2), runId, false);
    assert.equal(text(out), want);
  }
  assert.equal(encodeMetricsJson([]), "[]");
});
