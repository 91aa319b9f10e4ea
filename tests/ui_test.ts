/** The web UI through `app.request()`: pages, escaping, errors, forms, live events, the prefix. */
import assert from "node:assert/strict";
import { EVIL, fixture, SAME, T0 } from "./helpers/ui_fixture.ts";

Deno.test("ui: the start page lists experiments and loads the client script", async () => {
  const f = await fixture();
  try {
    const { status, text, res } = await f.get("/");
    assert.equal(status, 200);
    assert.match(text, /^<!doctype html>/);
    assert.match(text, /<title>Experiments · mlt<\/title>/);
    assert.match(text, new RegExp(`href="/experiments/${f.exp}"`));
    assert.match(text, /src="\/_mlt\/assets\/client\.js\?v=/);
    assert.match(res.headers.get("content-security-policy") ?? "", /script-src 'self'/);
    assert.equal(res.headers.get("x-frame-options"), "SAMEORIGIN");
    const js = await f.get("/_mlt/assets/client.js");
    assert.match(js.text, /#\\\/experiments\\\//, "the hash-link redirect is in the client");
    const charts = /from "\.\/(charts\.js\?v=\w+)"/.exec(js.text)?.[1];
    assert.ok(charts, "the client imports its chart module with the asset version");
    assert.match((await f.get(`/_mlt/assets/${charts}`)).text, /pointermove/);
  } finally {
    await f.close();
  }
});

Deno.test("ui: the runs table shows runs, columns, sorting, filtering and pages", async () => {
  const f = await fixture();
  try {
    const page = await f.get(`/experiments/${f.exp}`);
    assert.equal(page.status, 200);
    assert.match(page.text, /<title>seed-exp · mlt<\/title>/);
    assert.match(page.text, /run-a/);
    assert.match(page.text, /class="badge FINISHED"/);
    assert.match(page.text, /data-col="params.test_param"/);
    const order = (t: string) => [...t.matchAll(/>(run-[ab])<\/a>/g)].map((m) => m[1]);
    // Latest test_metric: run-a 9 × 100 = 900, run-b 4 × 200 = 800.
    const asc = await f.get(`/experiments/${f.exp}?sort=metrics.test_metric&dir=asc`);
    assert.deepEqual(order(asc.text), ["run-b", "run-a"]);
    const desc = await f.get(`/experiments/${f.exp}?sort=metrics.test_metric&dir=desc`);
    assert.deepEqual(order(desc.text), ["run-a", "run-b"]);
    const filtered = await f.get(
      `/experiments/${f.exp}?filter=${encodeURIComponent("params.test_param = '200'")}`,
    );
    assert.deepEqual(order(filtered.text), ["run-b"]);
    const cols = await f.get(`/experiments/${f.exp}?cols=params.test_param`);
    assert.doesNotMatch(cols.text, /data-col="metrics.test_metric"/);
    const first = await f.get(`/experiments/${f.exp}?n=1&sort=name&dir=asc`);
    assert.deepEqual(order(first.text), ["run-a"]);
    assert.doesNotMatch(first.text, /rel="prev"/);
    const href = (text: string, rel: string) =>
      new RegExp(`href="([^"]+)" rel="${rel}"`).exec(text)?.[1].replaceAll("&amp;", "&");
    const second = await f.get(href(first.text, "next")!);
    assert.deepEqual(order(second.text), ["run-b"]);
    assert.doesNotMatch(second.text, /rel="next"/);
    const back = href(second.text, "prev");
    assert.ok(back && !back.includes("page="), back);
    assert.deepEqual(order((await f.get(back)).text), ["run-a"]);
    const c = await f.store.createRun({ experimentId: f.exp, runName: "run-c", startTime: T0 });
    const third = await f.get(
      `/experiments/${f.exp}?n=1&sort=name&dir=asc&page=${btoa('{"offset": 2}')}`,
    );
    assert.match(third.text, /Runs 3–3 of 3/);
    assert.deepEqual(order((await f.get(href(third.text, "prev")!)).text), ["run-b"]);
    await f.store.deleteRun(c.info.runId);
    const bad = await f.get(`/experiments/${f.exp}?page=%25%25`);
    assert.equal(bad.status, 400);
  } finally {
    await f.close();
  }
});

Deno.test("ui: the runs page streams its frame before the search is done", async () => {
  const f = await fixture();
  try {
    const res = await f.app.request(`/experiments/${f.exp}`);
    assert.equal(res.status, 200);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    const head = (await reader.read()).value ?? "";
    assert.match(head, /^<!doctype html>/);
    assert.match(head, /<aside class="side"/);
    assert.match(head, /name="filter"/);
    assert.doesNotMatch(head, /id="runs-table"/);
    let rest = "";
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += r.value;
    assert.match(rest, /id="runs-table"/);
    assert.match(rest, /<\/html>$/);
  } finally {
    await f.close();
  }
});

Deno.test("ui: an invalid filter shows its message and position, not a 500", async () => {
  const f = await fixture();
  try {
    const { status, text } = await f.get(
      `/experiments/${f.exp}?filter=${encodeURIComponent("params.x == 1")}`,
    );
    assert.equal(status, 400);
    assert.match(text, /id="filter-error"/);
    assert.match(text, /at position 10/);
    assert.match(text, /value="params.x == 1"/);
  } finally {
    await f.close();
  }
});

Deno.test("ui: the run page shows params, metrics, a chart per metric, tags, artifacts", async () => {
  const f = await fixture();
  try {
    const run = await f.store.getRun(f.a);
    const artifacts = new URL(run.info.artifactUri).pathname;
    await Deno.mkdir(`${artifacts}/sub`, { recursive: true });
    await Deno.writeTextFile(`${artifacts}/notes.txt`, "hello <b>world</b>");
    await Deno.writeTextFile(`${artifacts}/page.html`, "<script>alert(1)</script>");
    await f.store.setTag(f.a, { key: "team", value: "vision" });
    const { status, text } = await f.get(`/experiments/${f.exp}/runs/${f.a}`);
    assert.equal(status, 200);
    assert.match(text, /<title>run-a · seed-exp · mlt<\/title>/);
    assert.match(text, /<th scope="row">test_param<\/th><td class="mono">100<\/td>/);
    assert.match(text, /data-metric-key="test_metric"/);
    assert.match(text, /data-points="10"/);
    const poly = /<polyline points="([^"]+)"/.exec(text);
    assert.equal(poly?.[1].split(" ").length, 10);
    assert.match(text, /data-copy="[0-9a-f]{32}"/);
    assert.match(text, />team<\/th><td>vision</);
    assert.match(text, /notes\.txt/);
    assert.match(text, new RegExp(`/get-artifact\\?run_id=${f.a}&amp;path=notes.txt`));
    const preview = await f.get(`/experiments/${f.exp}/runs/${f.a}?artifact=notes.txt`);
    assert.match(preview.text, /<pre>hello &lt;b>world&lt;\/b><\/pre>/);
    const html = await f.get(`/experiments/${f.exp}/runs/${f.a}?artifact=page.html`);
    assert.match(html.text, /<iframe class="preview" sandbox srcdoc="&lt;script>/);
    const dir = await f.get(`/experiments/${f.exp}/runs/${f.a}?artifact=sub`);
    assert.match(dir.text, /data-artifact="sub" data-dir="1" aria-expanded="true"/);
    assert.match(dir.text, /<li class="muted">\(empty\)<\/li>/);
    const log = await f.get(`/experiments/${f.exp}/runs/${f.a}?x=time&y=log&smooth=0.5`);
    assert.equal(log.status, 200);
    assert.match(log.text, /data-log="1"/);
  } finally {
    await f.close();
  }
});

Deno.test("ui: names, params, tags and descriptions with HTML show as text", async () => {
  const f = await fixture();
  try {
    const exp = await f.store.createExperiment(EVIL);
    const run = await f.store.createRun({ experimentId: exp, runName: EVIL });
    const id = run.info.runId;
    await f.store.logParam(id, { key: "p", value: EVIL });
    await f.store.setTag(id, { key: "t", value: EVIL });
    await f.store.logMetric(id, { key: "m", value: 1, timestamp: T0, step: 0 });
    await f.store.setTag(id, {
      key: "mlflow.note.content",
      value:
        `# Title\n[bad](javascript:alert(3)) [ok](https://example.com) <img src=x onerror=alert(4)>`,
    });
    for (const path of ["/", `/experiments/${exp}`, `/experiments/${exp}/runs/${id}`]) {
      const { text } = await f.get(path);
      assert.doesNotMatch(text, /<script>alert/, path);
      assert.doesNotMatch(text, /<img src=x/, path);
      assert.match(
        text,
        /&lt;script>alert\(1\)&lt;\/script>&quot;>&lt;img src=x onerror=alert\(2\)>/,
      );
    }
    const { text } = await f.get(`/experiments/${exp}/runs/${id}`);
    assert.doesNotMatch(text, /href="javascript:/i);
    assert.match(text, /\[bad\]\(javascript:alert\(3\)\)/);
    assert.match(
      text,
      /<a href="https:\/\/example.com" rel="noopener noreferrer nofollow">ok<\/a>/,
    );
    assert.match(text, /<h2>Title<\/h2>/);
  } finally {
    await f.close();
  }
});

Deno.test("ui: missing experiments, runs and pages are 404 pages", async () => {
  const f = await fixture();
  try {
    for (
      const path of [
        "/experiments/424242",
        "/experiments/not-an-id",
        `/experiments/${f.exp}/runs/${"0".repeat(32)}`,
        `/experiments/${f.exp}/runs/..%2F..`,
        "/no/such/page",
      ]
    ) {
      const { status, text, res } = await f.get(path);
      assert.equal(status, 404, path);
      assert.match(res.headers.get("content-type") ?? "", /text\/html/);
      assert.match(text, /<title>Not found · mlt<\/title>/);
    }
    const api = await f.get("/api/2.0/mlflow/no-such-endpoint");
    assert.equal(api.status, 404);
    assert.equal(JSON.parse(api.text).error_code, "ENDPOINT_NOT_FOUND");
  } finally {
    await f.close();
  }
});

Deno.test("ui: the metric and compare pages overlay runs and highlight differences", async () => {
  const f = await fixture();
  try {
    const m = await f.get(`/metric?key=test_metric&runs=${f.a},${f.b}&x=relative`);
    assert.equal(m.status, 200);
    assert.equal([...m.text.matchAll(/<polyline /g)].length, 2);
    assert.match(m.text, /class="legend"/);
    const c = await f.get(`/compare?runs=${f.a}&runs=${f.b}`);
    assert.equal(c.status, 200);
    assert.match(c.text, /<tr class="diff" data-differs="1"><th scope="row">test_param<\/th>/);
    assert.match(c.text, /<td>100<\/td><td>200<\/td>/);
    const none = await f.get("/compare");
    assert.equal(none.status, 400);
    const hover = JSON.parse((await f.get(`/_mlt/chart?key=test_metric&runs=${f.a}&hover=1`)).text);
    assert.equal(hover.lines[0].xs.length, 10);
    assert.equal(hover.lines[0].px.length, 20);
  } finally {
    await f.close();
  }
});

Deno.test("ui: the compare page plots params against a metric and any two columns", async () => {
  const f = await fixture();
  try {
    await f.store.setTag(f.a, { key: "mlflow.runName", value: EVIL });
    const c = await f.get(`/compare?runs=${f.a},${f.b}`);
    assert.equal(c.status, 200);
    assert.match(c.text, /<svg class="plot" id="parallel-plot"/);
    assert.match(c.text, /<svg class="plot" id="scatter-plot"/);
    // Defaults: the params that differ, then the first metric; scatter of that param and metric.
    assert.match(c.text, /<option value="test_metric" selected>test_metric/);
    assert.equal([...c.text.matchAll(/<polyline class="pc"/g)].length, 2);
    assert.equal([...c.text.matchAll(/<circle cx=/g)].length, 2);
    assert.match(c.text, /<option value="params.test_param" selected>/);
    assert.doesNotMatch(c.text, /<script>alert|<img src=x/);
    assert.match(c.text, /<title>&lt;script>alert\(1\)/);
    await f.store.logParam(f.b, { key: "opt", value: EVIL });
    const chosen = await f.get(
      `/compare?runs=${f.a},${f.b}&sx=params.opt&sy=params.test_param&pp=opt&pm=test_metric`,
    );
    // run-a has no "opt": one dot; the category is shown (cut short) as escaped text.
    assert.equal([...chosen.text.matchAll(/<circle cx=/g)].length, 1);
    assert.match(chosen.text, />&lt;script>alert…</);
    assert.match(chosen.text, /href="\/compare\?runs=[0-9a-f]+%2C[0-9a-f]+&amp;diff=1&amp;/);
    assert.doesNotMatch(chosen.text, /<script>alert/);
  } finally {
    await f.close();
  }
});

Deno.test("ui: charts past the point budget load later; without JS they link", async () => {
  const f = await fixture("", { chartBudget: { points: 1, min: 1 } });
  try {
    for (const key of ["m1", "m2"]) {
      for (let step = 0; step < 3; step++) {
        await f.store.logMetric(f.a, { key, value: step, timestamp: T0 + step, step });
      }
    }
    const page = await f.get(`/experiments/${f.exp}/runs/${f.a}`);
    assert.equal([...page.text.matchAll(/<figure class="chart" /g)].length, 1);
    const lazy = [
      ...page.text.matchAll(
        /<figure class="chart lazy" data-metric-key="(\w+)" data-lazy="([^"]+)"/g,
      ),
    ];
    assert.deepEqual(lazy.map((m) => m[1]), ["m2", "test_metric"]);
    assert.match(page.text, /href="\/metric\?key=m2&amp;runs=[0-9a-f]+">Open the chart of m2</);
    assert.match(page.text, /<tr data-metric-key="m2" data-pending="1">/);
    const json = JSON.parse((await f.get(lazy[1][2].replaceAll("&amp;", "&"))).text);
    assert.match(json.figure, /^<figure class="chart" data-metric-key="test_metric"/);
    assert.equal(/<polyline points="([^"]+)"/.exec(json.figure)?.[1].split(" ").length, 10);
    assert.match(json.row, /<td class="num" data-steps="true">10<\/td>/);
    assert.equal((await f.get("/_mlt/chart?key=m2")).status, 404);
  } finally {
    await f.close();
  }
});

Deno.test("ui: the run page shows the output log of mlt run, escaped", async () => {
  const f = await fixture();
  try {
    const run = await f.store.getRun(f.a);
    const artifacts = new URL(run.info.artifactUri).pathname;
    const before = (await f.get(`/experiments/${f.exp}/runs/${f.a}`)).text;
    assert.doesNotMatch(before, /id="output-log"/);
    assert.match(before, /No output log/);
    await Deno.mkdir(`${artifacts}/mlt`, { recursive: true });
    const long = "x".repeat(70 * 1024);
    await Deno.writeTextFile(`${artifacts}/mlt/stdout.log`, `${long}\nepoch 1 ${EVIL}\ndone\n`);
    const { text } = await f.get(`/experiments/${f.exp}/runs/${f.a}`);
    assert.match(text, /<h2 id="output-title">Output<\/h2>/);
    assert.match(text, /showing the end/);
    assert.match(text, /<pre class="output" id="output-log">epoch 1 &lt;script>alert\(1\)/);
    assert.doesNotMatch(text, /<script>alert/);
    assert.match(
      text,
      /href="\/get-artifact\?run_id=[0-9a-f]+&amp;path=mlt%2Fstdout.log" download/,
    );
  } finally {
    await f.close();
  }
});

Deno.test("ui: forms change state only when posted from the same origin", async () => {
  const f = await fixture();
  try {
    const create = "/_mlt/action/experiments/create";
    assert.equal((await f.post(create, { name: "x" })).status, 403, "no Origin");
    const cross = await f.post(create, { name: "x" }, { origin: "http://evil.example" });
    assert.equal(cross.status, 403);
    const site = await f.post(create, { name: "x" }, { "sec-fetch-site": "cross-site" });
    assert.equal(site.status, 403);
    assert.equal(await f.store.getExperimentByName("x"), undefined);
    const ok = await f.post(create, { name: "x" }, SAME);
    assert.equal(ok.status, 303);
    const id = (await f.store.getExperimentByName("x"))!.experimentId;
    assert.equal(ok.headers.get("location"), `/experiments/${id}`);
    await f.post(`/_mlt/action/experiments/${id}/rename`, { name: "y" }, SAME);
    assert.equal((await f.store.getExperiment(id)).name, "y");
    await f.post(`/_mlt/action/runs/${f.a}/tags`, { key: "k", value: "v" }, SAME);
    await f.post(`/_mlt/action/runs/${f.a}/description`, { text: "**hi**" }, SAME);
    const tags = (await f.store.getRun(f.a)).data.tags;
    assert.equal(tags.find((t) => t.key === "k")?.value, "v");
    assert.equal(tags.find((t) => t.key === "mlflow.note.content")?.value, "**hi**");
    await f.post(`/_mlt/action/experiments/${f.exp}/runs/delete`, { runs: [f.a, f.b] }, SAME);
    assert.equal((await f.store.getRun(f.b)).info.lifecycleStage, "deleted");
    await f.post(`/_mlt/action/experiments/${f.exp}/runs/restore`, { runs: f.b }, SAME);
    assert.equal((await f.store.getRun(f.b)).info.lifecycleStage, "active");
    const dup = await f.post(`/_mlt/action/experiments/${id}/rename`, { name: "seed-exp" }, SAME);
    assert.equal(dup.status, 400);
    assert.match(await dup.text(), /class="error"/);
  } finally {
    await f.close();
  }
});

Deno.test("ui: the live stream sends a new point's row and chart", async () => {
  const f = await fixture();
  try {
    const run = await f.store.createRun({ experimentId: f.exp, runName: "live", startTime: T0 });
    const id = run.info.runId;
    await f.store.logMetric(id, { key: "loss", value: 1, timestamp: T0, step: 0 });
    const page = await f.get(`/experiments/${f.exp}/runs/${id}`);
    const src = /data-live-run="([^"]+)"/.exec(page.text)?.[1].replaceAll("&amp;", "&");
    assert.ok(src, "a running run's page subscribes to its stream");
    await f.store.logMetric(id, { key: "loss", value: 0.5, timestamp: T0 + 1, step: 1 });
    const res = await f.app.request(src);
    assert.equal(res.headers.get("content-type"), "text/event-stream; charset=utf-8");
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buf = "";
    while (!buf.includes('"metrics":[{')) buf += (await reader.read()).value ?? "";
    const event = JSON.parse(/data: (.*)\n/.exec(buf.slice(buf.indexOf("data: {")))![1]);
    assert.equal(event.status, "RUNNING");
    assert.equal(event.metrics[0].key, "loss");
    assert.equal(event.metrics[0].points, 2);
    assert.match(event.metrics[0].row, /data-steps="true">2</);
    await reader.cancel();
  } finally {
    await f.close();
  }
});

Deno.test("ui: a static prefix moves every page and link under it", async () => {
  const f = await fixture("/mlflow");
  try {
    assert.equal((await f.get("/mlflow/")).res.headers.get("location"), "/mlflow");
    const { status, text } = await f.get("/mlflow");
    assert.equal(status, 200);
    assert.match(text, new RegExp(`href="/mlflow/experiments/${f.exp}"`));
    assert.match(text, /src="\/mlflow\/_mlt\/assets\/client\.js/);
    const run = await f.get(`/mlflow/experiments/${f.exp}/runs/${f.a}`);
    assert.equal(run.status, 200);
    assert.match(run.text, /href="\/mlflow\/get-artifact|No artifacts/);
  } finally {
    await f.close();
  }
});
