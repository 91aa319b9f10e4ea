/**
 * The UI's charts through `app.request()`: the chart tab (run colours, hidden runs, metric search,
 * sections), grouping and its per-pixel aggregation, dense charts drawn as one image, one-point
 * charts, chart CSV, and the metric and compare pages.
 */
import assert from "node:assert/strict";
import { type Fixture, fixture, sweep, T0 } from "./helpers/ui_fixture.ts";

const unamp = (s: string) => s.replaceAll("&amp;", "&");

const figure = (html: string, key: string) =>
  new RegExp(
    `<figure class="chart[^"]*" data-metric-key="${key.replace("/", "\\/")}"[\\s\\S]*?</figure>`,
  ).exec(html)?.[0];

async function hover(f: Fixture, fig: string) {
  const frag = unamp(/data-frag="([^"]+)"/.exec(fig)![1]);
  return JSON.parse((await f.get(`${frag}&hover=1`)).text) as {
    dense: boolean;
    lines: { label: string; color: string; strong?: boolean; ys?: number[] }[];
  };
}

Deno.test("ui: the chart tab overlays the page's runs in their table colours, user metrics first", async () => {
  const f = await fixture();
  try {
    const { exp, ids } = await sweep(f);
    const table = (await f.get(`/experiments/${exp}`)).text;
    const charts = await f.get(`/experiments/${exp}?tab=charts`);
    assert.equal(charts.status, 200);
    const sections = [
      ...charts.text.matchAll(/<details class="section" id="([\w-]+)" open><summary>([^<]+)</g),
    ];
    assert.deepEqual(sections.map((m) => [m[1], m[2]]), [["metrics", "Metrics (1)"], [
      "system-metrics",
      "System metrics (1)",
    ]]);
    assert.match(charts.text, /--no-system-metrics/);
    // Each run's colour: the same swatch in the table row, the run list and its line.
    const loss = await hover(f, figure(charts.text, "loss")!);
    for (const [i, id] of ids.entries()) {
      const row = new RegExp(
        `<tr data-run-id="${id}"[\\s\\S]*?<i class="sw" style="background:(#[0-9a-f]{6})"`,
      ).exec(table)![1];
      const item = new RegExp(
        `<li data-run-id="${id}"[\\s\\S]*?<i class="sw" style="background:(#[0-9a-f]{6})"`,
      ).exec(charts.text)![1];
      assert.equal(item, row);
      assert.equal(loss.lines.find((l) => l.label === `r${i}`)?.color, row);
    }
    const hidden = await f.get(`/experiments/${exp}?tab=charts&hide=${ids[0]},${ids[1]}`);
    assert.equal([...figure(hidden.text, "loss")!.matchAll(/<polyline /g)].length, 2);
    assert.match(hidden.text, /Runs \(2\/4\)/);
    const searched = await f.get(`/experiments/${exp}?tab=charts&mq=CPU`);
    assert.equal(figure(searched.text, "loss"), undefined);
    assert.ok(figure(searched.text, "system/cpu_utilization_percentage"));
  } finally {
    await f.close();
  }
});

Deno.test("ui: grouped charts draw each group's mean and band; expanded groups show their runs", async () => {
  const f = await fixture();
  try {
    const { exp } = await sweep(f);
    const page = await f.get(`/experiments/${exp}?tab=charts&group=params.g`);
    const fig = figure(page.text, "loss")!;
    assert.equal([...fig.matchAll(/<path class="band"/g)].length, 2);
    const h = await hover(f, fig);
    // Groups come in table order (newest run first): g = b, then g = a.
    const strong = h.lines.filter((l) => l.strong);
    assert.deepEqual(strong.map((l) => l.label), [
      "g = b (mean of 2 runs)",
      "g = a (mean of 2 runs)",
    ]);
    for (const [l, want] of [[strong[0], 15], [strong[1], 2]] as const) {
      assert.ok(l.ys!.length > 10 && l.ys!.every((y) => Math.abs(y - want) < 1e-9), l.label);
    }
    assert.equal(h.lines.length, 2, "collapsed groups draw no run lines");
    const open = await f.get(
      `/experiments/${exp}?tab=charts&group=params.g&expand=${
        encodeURIComponent("=a")
      }&agg=median&band=none`,
    );
    const o = await hover(f, figure(open.text, "loss")!);
    assert.deepEqual(o.lines.map((l) => l.label).sort(), [
      "g = a (median of 2 runs)",
      "g = b (median of 2 runs)",
      "r0",
      "r1",
    ]);
    const a = o.lines.find((l) => l.label.startsWith("g = a"))!;
    assert.ok(
      o.lines.filter((l) => !l.strong).every((l) => l.color === a.color),
      "a group's runs take its colour",
    );
    assert.doesNotMatch(figure(open.text, "loss")!, /class="band"/);
    // The table groups too: a row per group with its count; runs of closed groups are hidden.
    const table = await f.get(
      `/experiments/${exp}?group=params.g&expand=${encodeURIComponent("=a")}`,
    );
    assert.equal([...table.text.matchAll(/<tr class="group" data-group-key=/g)].length, 2);
    assert.match(table.text, /<strong>g = a<\/strong> <span class="muted small">2 runs<\/span>/);
    assert.equal(
      [...table.text.matchAll(/<tr [^>]*data-group="=b" class="in-group" hidden/g)].length,
      2,
    );
    assert.equal([...table.text.matchAll(/<tr [^>]*data-group="=a" class="in-group">/g)].length, 2);
    const split = await f.get(`/experiments/${exp}?tab=charts&split=params.g`);
    const titles = [...split.text.matchAll(/>(loss · g = \w)<\/a>/g)].map((m) => m[1]);
    assert.deepEqual(titles, ["loss · g = b", "loss · g = a"]);
  } finally {
    await f.close();
  }
});

Deno.test("ui: past 60 runs a chart's run lines are one server-drawn image, hovered by pixels", async () => {
  const f = await fixture();
  try {
    const exp = await f.store.createExperiment("many");
    for (let i = 0; i < 65; i++) {
      const id = (await f.store.createRun({ experimentId: exp, runName: `m${i}` })).info.runId;
      await f.store.logBatch(id, {
        metrics: [0, 1, 2].map((s) => ({ key: "acc", value: i + s, timestamp: T0 + s, step: s })),
      });
    }
    const page = await f.get(`/experiments/${exp}?tab=charts`);
    const fig = figure(page.text, "acc")!;
    assert.match(fig, /<image href="data:image\/png;base64,[A-Za-z0-9+/=]+"/);
    assert.doesNotMatch(fig, /<polyline /);
    assert.match(fig, /195 points/);
    const h = await hover(f, fig);
    assert.equal(h.dense, true);
    assert.equal(h.lines.length, 65);
    assert.equal(h.lines[0].ys, undefined);
  } finally {
    await f.close();
  }
});

Deno.test("ui: a one-point chart shows its point; counts read '1 point'; chart data as CSV", async () => {
  const f = await fixture();
  try {
    await f.store.logMetric(f.a, { key: "final", value: 0.75, timestamp: T0, step: 3 });
    const { text } = await f.get(`/experiments/${f.exp}/runs/${f.a}`);
    const fig = figure(text, "final")!;
    assert.match(fig, /<span class="muted small count">1 point<\/span>/);
    const [, cx, cy] = /<circle cx="([\d.]+)" cy="([\d.]+)" r="3"/.exec(fig)!;
    const [l, t, r, b] = /data-plot="([^"]+)"/.exec(fig)![1].split(" ").map(Number);
    assert.ok(+cx > l && +cx < r && +cy > t && +cy < b, `${cx},${cy} outside the plot`);
    assert.match(fig, /data-xd="2 4"/);
    assert.match(fig, /min 0\.75 at step 3 · max 0\.75 at step 3/);
    const csv = await f.get(`/_mlt/chart.csv?key=test_metric&runs=${f.a},${f.b}`);
    const rows = csv.text.trimEnd().split("\r\n");
    assert.deepEqual(rows[0], "run_id,run_name,metric,step,timestamp,value");
    assert.equal(rows.length, 1 + 10 + 5);
    assert.equal(rows[10], `${f.a},run-a,test_metric,9,${T0 + 9},900`);
  } finally {
    await f.close();
  }
});

Deno.test("ui: metric and compare pages: names in breadcrumbs, several metrics, no 50-run cap", async () => {
  const f = await fixture();
  try {
    const ids = [f.a, f.b];
    for (let i = 0; i < 58; i++) {
      const id = (await f.store.createRun({ experimentId: f.exp, runName: `x${i}` })).info.runId;
      await f.store.logMetric(id, { key: "test_metric", value: i, timestamp: T0, step: 0 });
      ids.push(id);
    }
    await f.store.logMetric(f.a, { key: "other", value: 5, timestamp: T0, step: 0 });
    const m = await f.get(`/metric?key=test_metric&key=other&runs=${f.a}`);
    assert.match(
      m.text,
      /<div class="crumbs"><a href="\/">Experiments<\/a><span> \/ <a href="\/experiments\/\d+">seed-exp<\/a><\/span> \/ <a href="[^"]+">run-a<\/a> \/ test_metric, other<\/div>/,
    );
    assert.match(m.text, /<aside class="side"/);
    const legend = /<div class="legend">([\s\S]*?)<\/div>/.exec(m.text)![1];
    assert.match(legend, /test_metric/);
    assert.match(legend, /other/);
    const all = await f.get(`/metric?key=test_metric&runs=${ids.join(",")}`);
    assert.equal([...all.text.matchAll(/<tr><td><i class="sw"/g)].length, 60);
    assert.match(all.text, /1,? ?[0-9]* points|\d+ points/);
    const c = await f.get(`/compare?runs=${ids.slice(0, 3).join(",")}`);
    for (const row of ["Started", "Ended", "Duration", "Artifacts"]) {
      assert.match(c.text, new RegExp(`<th scope="row">${row}</th>`));
    }
    // The parallel plot draws each run in its own colour, as its column header shows it.
    const head = [
      ...c.text.matchAll(/<th scope="col"><i class="sw" style="background:(#[0-9a-f]{6})"/g),
    ].map((x) => x[1]);
    const pc = [...c.text.matchAll(/<polyline class="pc" points="[^"]+" stroke="(#[0-9a-f]{6})"/g)]
      .map((x) => x[1]);
    assert.deepEqual(pc, head.slice(0, pc.length));
  } finally {
    await f.close();
  }
});
