import assert from "node:assert/strict";
import { colorAt, downsample, extent, niceTicks, PALETTE, smooth } from "./chart.ts";
import { layoutChart, segments } from "./chart_model.ts";
import { envelope, means, SeriesReducer } from "./chart_reduce.ts";
import { safeHref } from "./components/markdown.tsx";
import { parseCsv } from "./components/artifacts.tsx";
import { SeriesCache } from "./series_cache.ts";

const pt = (step: number, value: number, timestamp = 1000 + step) => ({
  key: "k",
  value,
  timestamp,
  step,
});

Deno.test("downsample() keeps each bucket's extremes and caps 1M points near 4 per bucket", () => {
  const n = 1_000_000;
  const xs = Array.from({ length: n }, (_, i) => i);
  const ys = xs.map((i) => Math.sin(i / 1000) + (i === 123_456 ? 50 : 0));
  const d = downsample(xs, ys, 500);
  assert.ok(d.xs.length <= 4 * 500 && d.xs.length >= 500, String(d.xs.length));
  assert.deepEqual(extent(d.ys), extent(ys));
  for (let i = 1; i < d.xs.length; i++) assert.ok(d.xs[i] > d.xs[i - 1]);
});

Deno.test("niceTicks() picks round steps", () => {
  assert.deepEqual(niceTicks(0, 100, 5), [0, 20, 40, 60, 80, 100]);
  assert.deepEqual(niceTicks(0.1, 0.35, 5), [0.1, 0.15, 0.2, 0.25, 0.3, 0.35]);
});

Deno.test("colorAt() gives the palette, then distinct colours for later runs", () => {
  assert.equal(colorAt(0), PALETTE[0]);
  const many = new Set(Array.from({ length: 60 }, (_, i) => colorAt(i)));
  assert.equal(many.size, 60);
  for (const c of many) assert.match(c, /^#[0-9a-f]{6}$/);
});

const opts = { width: 300, height: 120, x: "step" as const, y: "linear" as const };

Deno.test("layoutChart() splits lines at NaN and skips non-positive values on a log axis", () => {
  const line = { label: "r", color: "#000000", xs: [0, 1, 2, 3, 4], ys: [1, 2, NaN, 4, 5] };
  const lin = layoutChart({ ...opts, lines: [line] });
  assert.equal(segments(lin.lines[0].px).lines.length, 2);
  const log = layoutChart({ ...opts, y: "log", lines: [{ ...line, ys: [0, 1, 10, 100, -1] }] });
  assert.equal(segments(log.lines[0].px).lines[0].split(" ").length, 3);
  assert.equal(layoutChart({ ...opts, lines: [] }).empty, true);
});

Deno.test("layoutChart(): one point sits inside the plot with room around it", () => {
  const m = layoutChart({ ...opts, lines: [{ label: "r", color: "#000000", xs: [5], ys: [0.7] }] });
  assert.equal(m.empty, false);
  assert.deepEqual(m.xDomain, [4, 6]);
  assert.ok(m.yDomain[0] < 0.7 && m.yDomain[1] > 0.7);
  const { lines, dots } = segments(m.lines[0].px);
  assert.deepEqual(lines, []);
  assert.equal(dots.length, 1);
  const [cx, cy] = dots[0];
  assert.ok(cx > m.plot.left && cx < m.plot.right && cy > m.plot.top && cy < m.plot.bottom);
  assert.equal(m.xTitle, "Step");
  // Whole steps only: no 4.5 on a step axis.
  assert.deepEqual(m.xTicks.map((t) => t.label), ["4", "5", "6"]);
});

Deno.test("layoutChart(): a zoom range keeps the x domain and drops points outside", () => {
  const xs = Array.from({ length: 100 }, (_, i) => i);
  const m = layoutChart({
    ...opts,
    range: [10, 20],
    lines: [{ label: "r", color: "#000000", xs, ys: xs.map((x) => x * 2) }],
  });
  assert.deepEqual(m.xDomain, [10, 20]);
  assert.equal(m.lines[0].xs.length, 11);
  assert.deepEqual([m.yDomain[0], m.yDomain[1]], [20, 40]);
});

Deno.test("layoutChart() turns many run lines into a dense chart but never aggregates", () => {
  const lines = Array.from({ length: 61 }, (_, i) => ({
    label: `r${i}`,
    color: "#000000",
    xs: [0, 1],
    ys: [i, i + 1],
  }));
  assert.equal(layoutChart({ ...opts, lines: lines.slice(0, 60) }).dense, false);
  assert.equal(layoutChart({ ...opts, lines }).dense, true);
  const strong = lines.map((l) => ({ ...l, strong: true }));
  assert.equal(layoutChart({ ...opts, lines: strong }).dense, false);
});

Deno.test("layoutChart() draws bands as closed paths split at gaps", () => {
  const m = layoutChart({
    ...opts,
    lines: [],
    bands: [{
      label: "g",
      color: "#000000",
      xs: [0, 1, 2, 3, 4],
      lo: [0, 0, NaN, 0, 0],
      hi: [1, 1, 1, 1, 1],
    }],
  });
  assert.equal(m.bands[0].d.match(/M/g)?.length, 2);
  assert.equal(m.bands[0].d.match(/Z/g)?.length, 2);
});

Deno.test("smooth() is a bias-corrected moving average", () => {
  assert.deepEqual(smooth([2, 2, 2], 0.9).map((v) => Math.round(v * 1e9) / 1e9), [2, 2, 2]);
  assert.deepEqual(smooth([1, 2], 0), [1, 2]);
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

Deno.test("SeriesReducer keeps every bucket's extremes of 1M points fed in pages", () => {
  const red = new SeriesReducer({ target: 400, x: "step" });
  const value = (i: number) => Math.sin(i / 1000) + (i === 654_321 ? 50 : 0) - (i === 7 ? 9 : 0);
  for (let page = 0; page < 40; page++) {
    red.add(
      Array.from({ length: 25_000 }, (_, j) => pt(page * 25_000 + j, value(page * 25_000 + j))),
    );
  }
  const r = red.result();
  assert.ok(r.buckets <= 400 && r.buckets > 100, String(r.buckets));
  const { xs, ys } = envelope(r);
  for (let i = 1; i < xs.length; i++) assert.ok(xs[i] >= xs[i - 1]);
  const s = red.summary;
  assert.equal(s.count, 1_000_000);
  assert.equal(s.max, 50 + Math.sin(654.321));
  assert.equal(s.maxStep, 654_321);
  assert.equal(s.minStep, 7);
  assert.deepEqual(extent(ys), [s.min, s.max]);
  assert.equal(s.latest?.step, 999_999);
});

Deno.test("SeriesReducer: small histories stay exact, x modes, gaps, smoothing, ranges", () => {
  const pts = [3, 1, 2, 0].map((s) => pt(s, s * 10, 5000 + s * 1000));
  const exact = new SeriesReducer({ target: 400, x: "step" });
  exact.add(pts);
  assert.deepEqual(envelope(exact.result()), { xs: [0, 1, 2, 3], ys: [0, 10, 20, 30] });
  // Relative time counts from the first logged point (step 3, at 8000 ms).
  const rel = new SeriesReducer({ target: 400, x: "relative" });
  rel.add(pts);
  assert.deepEqual(envelope(rel.result()).xs, [-3, -2, -1, 0]);
  const gaps = new SeriesReducer({ target: 400, x: "step" });
  gaps.add([0, 1, 2].map((s) => pt(s, s === 1 ? NaN : s)));
  const g = envelope(gaps.result());
  assert.deepEqual(g.xs, [0, 1, 2]);
  assert.ok(Number.isNaN(g.ys[1]));
  assert.equal(gaps.summary.count, 3);
  const ys = [1, 5, 2, 8, 3];
  const sm = new SeriesReducer({ target: 400, x: "step", smooth: 0.6 });
  sm.add(ys.map((v, s) => pt(s, v)));
  assert.deepEqual(envelope(sm.result()).ys, smooth(ys, 0.6));
  // Smoothing cached (unsmoothed) buckets of one point each is the same as smoothing points.
  const raw = new SeriesReducer({ target: 400, x: "step" });
  raw.add(ys.map((v, s) => pt(s, v)));
  const approx = means(raw.result(), 0.6).ys.map((v) => Math.round(v * 1e9));
  assert.deepEqual(approx, smooth(ys, 0.6).map((v) => Math.round(v * 1e9)));
  const zoom = new SeriesReducer({ target: 400, x: "step", range: [1, 2] });
  zoom.add(pts);
  assert.deepEqual(envelope(zoom.result()).xs, [1, 2]);
  assert.equal(zoom.summary.count, 4, "the summary still counts every point");
});

Deno.test("means() gives each bucket's average point", () => {
  const red = new SeriesReducer({ target: 2, x: "step" });
  red.add([0, 1, 2, 3].map((s) => pt(s, s * 2)));
  const m = means(red.result());
  assert.deepEqual(m, { xs: [0.5, 2.5], ys: [1, 5] });
});

Deno.test("SeriesCache keeps entries while their signature holds, within its byte budget", async () => {
  const cache = new SeriesCache(2500);
  let loads = 0;
  const series = () => {
    loads++;
    const red = new SeriesReducer({ target: 10, x: "step" });
    red.add([pt(0, 1)]);
    return Promise.resolve({ ...red.result(), bytes: 1000 });
  };
  await cache.get("a", "1", series);
  await cache.get("a", "1", series);
  assert.equal(loads, 1);
  await cache.get("a", "2", series);
  assert.equal(loads, 2, "a new latest point reloads");
  await Promise.all([cache.get("b", "1", series), cache.get("b", "1", series)]);
  assert.equal(loads, 3, "concurrent requests share one load");
  await cache.get("c", "1", series);
  assert.equal(cache.size, 2);
  assert.ok(cache.bytes <= 2500);
  await cache.get("a", "2", series);
  assert.equal(loads, 5, "the least recently used entry was evicted");
});
