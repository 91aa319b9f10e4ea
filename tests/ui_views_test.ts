/**
 * The UI's runs table (column order, min/max columns, relative times), CSV export, experiment
 * description and tags, run page sections and artifact fragments through `app.request()`.
 */
import assert from "node:assert/strict";
import { EVIL, fixture, SAME, sweep, T0 } from "./helpers/ui_fixture.ts";

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
      "logged-models",
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
