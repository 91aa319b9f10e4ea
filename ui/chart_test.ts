import assert from "node:assert/strict";
import { alignedData, buildChart, downsample, extent, niceTicks, smooth } from "./chart.ts";
import { PointReducer } from "./chart_reduce.ts";
import { safeHref } from "./components/markdown.tsx";
import { parseCsv } from "./components/artifacts.tsx";

Deno.test("downsample() keeps each bucket's extremes and caps 1M points near 4 per bucket", () => {
  const n = 1_000_000;
  const xs = Array.from({ length: n }, (_, i) => i);
  const ys = xs.map((i) => Math.sin(i / 1000) + (i === 123_456 ? 50 : 0));
  const d = downsample(xs, ys, 500);
  assert.ok(d.xs.length <= 4 * 500 && d.xs.length >= 500, String(d.xs.length));
  assert.deepEqual(extent(d.ys), extent(ys));
  for (let i = 1; i < d.xs.length; i++) assert.ok(d.xs[i] > d.xs[i - 1]);
});

Deno.test("downsample() returns small inputs unchanged", () => {
  const d = downsample([0, 1, 2], [3, 4, 5], 100);
  assert.deepEqual(d, { xs: [0, 1, 2], ys: [3, 4, 5] });
});

Deno.test("niceTicks() picks round steps", () => {
  assert.deepEqual(niceTicks(0, 100, 5), [0, 20, 40, 60, 80, 100]);
  assert.deepEqual(niceTicks(0.1, 0.35, 5), [0.1, 0.15, 0.2, 0.25, 0.3, 0.35]);
});

Deno.test("buildChart() splits lines at NaN and skips non-positive values on a log axis", () => {
  const series = [{ label: "r", color: "#000", xs: [0, 1, 2, 3, 4], ys: [1, 2, NaN, 4, 5] }];
  const lin = buildChart(series, { width: 300, height: 100, x: "step", y: "linear", smooth: 0 });
  assert.equal(lin.lines.length, 2);
  const log = buildChart([{ ...series[0], ys: [0, 1, 10, 100, -1] }], {
    width: 300,
    height: 100,
    x: "step",
    y: "log",
    smooth: 0,
  });
  assert.equal(log.lines[0].points.split(" ").length, 3);
  const empty = buildChart([], { width: 300, height: 100, x: "step", y: "linear", smooth: 0 });
  assert.equal(empty.empty, true);
});

Deno.test("smooth() is a bias-corrected moving average", () => {
  assert.deepEqual(smooth([2, 2, 2], 0.9).map((v) => Math.round(v * 1e9) / 1e9), [2, 2, 2]);
  assert.deepEqual(smooth([1, 2], 0), [1, 2]);
});

Deno.test("alignedData() merges x values and fills gaps with null", () => {
  assert.deepEqual(
    alignedData([{ xs: [0, 2], ys: [1, 3] }, { xs: [1, 2], ys: [5, NaN] }]),
    [[0, 1, 2], [1, null, 3], [null, 5, null]],
  );
});

Deno.test("safeHref() allows http(s) and relative links only", () => {
  for (const ok of ["https://x.org/a", "http://x", "/runs/1", "page#a", "?q=1"]) {
    assert.ok(safeHref(ok), ok);
  }
  for (
    const bad of [
      "javascript:alert(1)",
      "JaVaScRiPt:x",
      "java\tscript:x",
      "data:text/html,x",
      "//evil.org",
      "vbscript:x",
    ]
  ) {
    assert.ok(!safeHref(bad), bad);
  }
});

Deno.test("parseCsv() handles quotes, doubled quotes and CRLF", () => {
  assert.deepEqual(parseCsv('a,b\r\n"x,1","say ""hi"""\n'), [["a", "b"], ["x,1", 'say "hi"']]);
});

Deno.test("PointReducer keeps every bucket's extremes of 1M points fed in pages", () => {
  const red = new PointReducer(400, "step");
  const value = (i: number) => Math.sin(i / 1000) + (i === 654_321 ? 50 : 0);
  for (let page = 0; page < 40; page++) {
    const pts = Array.from({ length: 25_000 }, (_, j) => {
      const i = page * 25_000 + j;
      return { key: "k", value: value(i), timestamp: 1000 + i, step: i };
    });
    red.add(pts);
  }
  const { xs, ys } = red.result();
  assert.ok(xs.length <= 4 * 2 * 400 && xs.length >= 400, String(xs.length));
  for (let i = 1; i < xs.length; i++) assert.ok(xs[i] >= xs[i - 1]);
  assert.equal(red.count, 1_000_000);
  assert.equal(red.max, 50 + Math.sin(654.321));
  assert.deepEqual(extent(ys), [red.min, red.max]);
  assert.equal(red.latest?.step, 999_999);
});

Deno.test("PointReducer: small histories stay exact, x modes, gaps and smoothing", () => {
  const pts = [3, 1, 2, 0].map((s) => ({
    key: "k",
    value: s * 10,
    timestamp: 5000 + s * 1000,
    step: s,
  }));
  const exact = new PointReducer(400, "step");
  exact.add(pts);
  assert.deepEqual(exact.result(), { xs: [0, 1, 2, 3], ys: [0, 10, 20, 30] });
  const rel = new PointReducer(400, "relative");
  rel.add(pts);
  assert.deepEqual(rel.result().xs, [0, 1, 2, 3]);
  const gaps = new PointReducer(400, "step");
  gaps.add([0, 1, 2].map((s) => ({ key: "k", value: s === 1 ? NaN : s, timestamp: s, step: s })));
  const g = gaps.result();
  assert.deepEqual(g.xs, [0, 1, 2]);
  assert.ok(Number.isNaN(g.ys[1]));
  assert.equal(gaps.count, 3);
  const sm = new PointReducer(400, "step", 0.6);
  const ys = [1, 5, 2, 8, 3];
  sm.add(ys.map((v, s) => ({ key: "k", value: v, timestamp: s, step: s })));
  assert.deepEqual(sm.result().ys, smooth(ys, 0.6));
});
