/**
 * The UI's chart tab, grouping, runs table columns, CSV exports and run page sections through
 * `app.request()`: the server-side parts the browser tests only see drawn.
 */
import assert from "node:assert/strict";
import { EVIL, type Fixture, fixture, SAME, T0 } from "./helpers/ui_fixture.ts";

const unamp = (s: string) => s.replaceAll("&amp;", "&");

// Four runs in two groups of a param g: flat metrics 1 and 3 (g = a), 10 and 20 (g = b).
async function sweep(f: Fixture) {
  const exp = await f.store.createExperiment("sweep");
  const ids: string[] = [];
  for (const [i, [g, v]] of ([["a", 1], ["a", 3], ["b", 10], ["b", 20]] as const).entries()) {
    const run = await f.store.createRun({ experimentId: exp, runName: `r${i}`, startTime: T0 + i });
    const id = run.info.runId;
    await f.store.logParam(id, { key: "g", value: g });
    await f.store.logBatch(id, {
      metrics: [
        ...Array.from(
          { length: 21 },
          (_, s) => ({ key: "loss", value: v, timestamp: T0 + s, step: s }),
        ),
        { key: "system/cpu_utilization_percentage", value: 50, timestamp: T0, step: 0 },
      ],
    });
    ids.push(id);
  }
  return { exp, ids };
}

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

Deno.test("ui: the runs table puts params, metrics, system metrics, then tags; min and max columns", async () => {
  const f = await fixture();
  try {
    const { exp, ids } = await sweep(f);
    await f.store.setTag(ids[0], { key: "team", value: "x" });
    await f.store.logMetric(ids[2], { key: "loss", value: -5, timestamp: T0 + 99, step: 7 });
    const cols = (t: string) =>
      [...t.matchAll(/<th scope="col"[^>]* data-col="([^"]+)"/g)].map((m) => m[1]);
    const page = await f.get(`/experiments/${exp}`);
    assert.deepEqual(cols(page.text), [
      "params.g",
      "metrics.loss",
      "metrics.system/cpu_utilization_percentage",
    ]);
    assert.match(page.text, /<table class="grid runs sys-closed" id="runs-table">/);
    assert.match(page.text, /▸ System metrics \(1\)/);
    const chosen = await f.get(
      `/experiments/${exp}?cols=tags.team,metrics.loss@min,metrics.loss,params.g&sys=1`,
    );
    assert.deepEqual(cols(chosen.text), [
      "params.g",
      "metrics.loss",
      "metrics.loss@min",
      "tags.team",
    ]);
    assert.match(chosen.text, /loss \(min\)/);
    const row = new RegExp(`<tr data-run-id="${ids[2]}"[\\s\\S]*?</tr>`).exec(chosen.text)![0];
    // Latest 10 (step 20 is the latest step), min −5 over the history.
    assert.deepEqual(
      [...row.matchAll(/<td class="num"><span[^>]*>([^<]+)<\/span>/g)].map((m) => m[1]),
      ["10", "-5"],
    );
    assert.match(
      page.text,
      /<time datetime="2024-01-01T00:00:00\.000Z" title="2024-01-01 00:00:00 UTC" data-local="1">\d+ (years|months) ago<\/time>/,
    );
    assert.match(
      (await f.get(`/experiments/${exp}?tz=utc`)).text,
      /<time datetime="2024-01-01T00:00:00\.000Z">2024-01-01 00:00:00<\/time>/,
    );
  } finally {
    await f.close();
  }
});

Deno.test("ui: CSV export streams every page of the view with its columns", async () => {
  const f = await fixture("", { uri: (dir) => `sqlite:///${dir}/m.db` });
  try {
    const exp = await f.store.createExperiment("big");
    for (let i = 0; i < 1005; i++) {
      const id =
        (await f.store.createRun({ experimentId: exp, runName: `r${i}`, startTime: T0 + i })).info
          .runId;
      await f.store.logBatch(id, {
        params: [{ key: "p", value: i % 2 ? "odd" : "=cmd()" }],
        metrics: [{ key: "m", value: i, timestamp: T0, step: 0 }, {
          key: "m",
          value: -i,
          timestamp: T0 + 1,
          step: 1,
        }],
      });
    }
    const res = await f.app.request(
      `/experiments/${exp}/runs.csv?sort=name&dir=asc&cols=params.p,metrics.m,metrics.m@max`,
    );
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/csv; charset=utf-8");
    assert.match(
      res.headers.get("content-disposition") ?? "",
      /attachment; filename="big-runs.csv"/,
    );
    const lines = (await res.text()).trimEnd().split("\r\n");
    assert.equal(lines.length, 1 + 1005);
    const head = lines[0].split(",");
    assert.deepEqual(head.slice(-3), ["params.p", "metrics.m", "metrics.m@max"]);
    const r10 = lines.find((l) => l.split(",")[1] === "r10")!.split(",");
    assert.deepEqual(r10.slice(-3), ["'=cmd()", "-10", "10"]);
    assert.equal(lines[1].split(",")[1], "r0");
    const filtered = await f.get(
      `/experiments/${exp}/runs.csv?filter=${encodeURIComponent("params.p = 'odd'")}`,
    );
    assert.equal(filtered.text.trimEnd().split("\r\n").length, 1 + 502);
  } finally {
    await f.close();
  }
});

Deno.test("ui: an experiment's description and tags are shown and editable", async () => {
  const f = await fixture();
  try {
    const base = `/_mlt/action/experiments/${f.exp}`;
    const r = await f.post(`${base}/description`, { text: `**bold** ${EVIL}` }, SAME);
    assert.equal(r.status, 303);
    await f.post(`${base}/tags`, { key: "owner", value: "ana" }, SAME);
    const e = await f.store.getExperiment(f.exp);
    assert.equal(e.tags.find((t) => t.key === "mlflow.note.content")?.value, `**bold** ${EVIL}`);
    const page = (await f.get(`/experiments/${f.exp}`)).text;
    assert.match(page, /<strong>bold<\/strong>/);
    assert.doesNotMatch(page, /<script>alert/);
    assert.match(
      page,
      /<table class="kv" id="experiment-tags"><tbody><tr><th scope="row">owner<\/th><td>ana<\/td>/,
    );
    assert.doesNotMatch(page, /<th scope="row">mlflow.note.content/);
    await f.post(`${base}/tags/delete`, { key: "owner" }, SAME);
    await f.post(`${base}/description`, { text: "  " }, SAME);
    assert.deepEqual((await f.store.getExperiment(f.exp)).tags, []);
    assert.equal(
      (await f.post(`${base}/tags`, { key: "x" })).status,
      403,
      "cross-site posts refused",
    );
  } finally {
    await f.close();
  }
});

Deno.test("ui: the run page shows datasets, child runs, runner tags as system tags, a confirmed delete", async () => {
  const f = await fixture();
  try {
    await f.store.logInputs(f.a, [{
      tags: [{ key: "mlflow.data.context", value: "training" }],
      dataset: {
        name: "mnist",
        digest: "d1g3st",
        sourceType: "local",
        source: '{"uri": "/data/train.csv"}',
        schema: '{"mlflow_colspec": [{"type": "double", "name": "x"}]}',
      },
    }]);
    await f.store.setTag(f.b, { key: "mlflow.parentRunId", value: f.a });
    await f.store.setTag(f.a, { key: "mlt.runner.pid", value: "42" });
    await f.store.setTag(f.a, { key: "team", value: "vision" });
    const { text } = await f.get(`/experiments/${f.exp}/runs/${f.a}`);
    const nav = /<nav class="sections"[\s\S]*?<\/nav>/.exec(text)![0];
    assert.deepEqual([...nav.matchAll(/href="#([\w-]+)"/g)].map((m) => m[1]), [
      "overview",
      "params",
      "metrics",
      "datasets",
      "artifacts",
      "output",
      "tags",
    ]);
    assert.match(
      text,
      /<td><strong>mnist<\/strong><\/td><td>training<\/td><td class="mono">d1g3st<\/td>/,
    );
    assert.match(text, /\/data\/train\.csv/);
    assert.match(text, /<summary>1 columns<\/summary><pre>x: double<\/pre>/);
    assert.match(
      text,
      new RegExp(
        `<div id="child-runs"><h3>Child runs \\(1\\)</h3>[\\s\\S]*?runs/${f.b}">run-b</a>`,
      ),
    );
    const system = /<table class="kv" id="system-tags">[\s\S]*?<\/table>/.exec(text)![0];
    assert.match(system, /mlt\.runner\.pid/);
    assert.doesNotMatch(
      /<table class="kv" id="tags-table">[\s\S]*?<\/table>/.exec(text)![0],
      /mlt\.runner/,
    );
    // Deleting a tag takes a second, explicit click.
    assert.match(
      text,
      /<details class="confirm"><summary class="copy danger" aria-label="Delete tag team">Delete<\/summary><form class="inline" method="post" action="\/_mlt\/action\/runs\/[0-9a-f]+\/tags\/delete"><input type="hidden" name="key" value="team"\/><span class="small">Delete tag team\?<\/span><button type="submit" class="copy danger">Yes, delete<\/button>/,
    );
  } finally {
    await f.close();
  }
});

Deno.test("ui: artifact previews and directories come as fragments; paths stay inside the run", async () => {
  const f = await fixture();
  try {
    const art = new URL((await f.store.getRun(f.a)).info.artifactUri).pathname;
    await Deno.mkdir(`${art}/d/e`, { recursive: true });
    await Deno.writeTextFile(`${art}/d/t.csv`, "a,b\n1,2\n");
    const q = (path: string, list = false) =>
      `/_mlt/artifact?run=${f.a}&path=${encodeURIComponent(path)}${list ? "&list=1" : ""}`;
    const preview = JSON.parse((await f.get(q("d/t.csv"))).text).html;
    assert.match(
      preview,
      /<h3>d\/t\.csv <a class="small" href="\/get-artifact\?run_id=[0-9a-f]+&amp;path=d%2Ft\.csv" download>/,
    );
    assert.match(preview, /<th scope="col">a<\/th><th scope="col">b<\/th>/);
    const list = JSON.parse((await f.get(q("d", true))).text).html;
    assert.match(list, /^<ul><li class="dir"><a [^>]*data-artifact="d\/e" data-dir="1"/);
    assert.match(list, /data-artifact="d\/t\.csv"/);
    assert.equal((await f.get(q("d/missing.txt"))).status, 404);
    assert.notEqual((await f.get(q("../../meta.yaml"))).status, 200);
    const page = (await f.get(`/experiments/${f.exp}/runs/${f.a}?artifact=d/t.csv`)).text;
    assert.match(page, /<section class="pane" id="artifact-preview"[^>]*><h3>d\/t\.csv/);
    assert.match(page, /data-artifact="d" data-dir="1" aria-expanded="true"/);
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
