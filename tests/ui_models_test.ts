/**
 * The UI's model pages through `app.request()` over a file store and a SQLite store: the run
 * page's logged models, the Models tab, a logged model's page, the registry pages, their 404s,
 * and the register, alias, description and tag forms (refused cross-site).
 */
import assert from "node:assert/strict";
import { type ModelsFixture, modelsFixture } from "./helpers/ui_models_fixture.ts";

const SAME = { origin: "http://localhost", host: "localhost" };
const STORES: [string, ((dir: string) => string) | undefined][] = [
  ["file", undefined],
  ["sqlite", (dir) => `sqlite:///${dir}/m.db`],
];

function each(name: string, fn: (f: ModelsFixture) => Promise<void>) {
  for (const [kind, uri] of STORES) {
    Deno.test(`ui models (${kind}): ${name}`, async () => {
      const f = await modelsFixture(uri);
      try {
        await fn(f);
      } finally {
        await f.close();
      }
    });
  }
}

each("the run page lists the run's logged models and the models it used", async (f) => {
  const { status, text } = await f.get(`/experiments/${f.exp}/runs/${f.runId}`);
  assert.equal(status, 200);
  assert.match(text, /href="#logged-models">Logged models/);
  const section = text.slice(text.indexOf('id="run-logged-models"'));
  assert.match(section, new RegExp(`href="/experiments/${f.exp}/models/${f.model}">iris-clf</a>`));
  assert.match(text, /Models used as inputs \(1\)/);
  const inputs = text.slice(text.indexOf('id="run-model-inputs"'));
  assert.match(inputs, new RegExp(`href="/experiments/${f.exp}/models/${f.other}">scratch</a>`));
});

each("the Models tab lists the experiment's logged models, newest first, paged", async (f) => {
  const runs = await f.get(`/experiments/${f.exp}`);
  assert.match(runs.text, new RegExp(`href="/experiments/${f.exp}/models">Models</a>`));
  const { status, text } = await f.get(`/experiments/${f.exp}/models`);
  assert.equal(status, 200);
  assert.match(text, /<a href="[^"]+" aria-current="page">Models<\/a>/);
  const names = [...text.matchAll(/\/models\/m-[0-9a-f]+">([\w-]+)<\/a>/g)].map((m) => m[1]);
  assert.deepEqual(names, ["scratch", "iris-clf"]);
  assert.match(text, new RegExp(`href="/experiments/${f.exp}/runs/${f.runId}">train-run</a>`));
  assert.match(text, /class="badge READY"/);
  assert.match(text, /accuracy: <span[^>]*>0\.93/);
  const first = await f.get(`/experiments/${f.exp}/models?n=1`);
  assert.match(first.text, />scratch<\/a>/);
  assert.doesNotMatch(first.text, />iris-clf<\/a>/);
  const next = /href="([^"]+)" rel="next"/.exec(first.text)?.[1].replaceAll("&amp;", "&");
  assert.ok(next);
  const second = await f.get(`${next}&n=1`);
  assert.match(second.text, />iris-clf<\/a>/);
  assert.match(second.text, /rel="prev"/);
  assert.equal((await f.get(`/experiments/999/models`)).status, 404);
  assert.equal((await f.get(`/experiments/${f.exp}/models?page=garbage`)).status, 400);
});

each("the Models tab filters with MLflow's logged-model grammar, kept across pages", async (f) => {
  const get = (filter: string, more = "") =>
    f.get(`/experiments/${f.exp}/models?filter=${encodeURIComponent(filter)}${more}`);
  const names = (text: string) =>
    [...text.matchAll(/\/models\/m-[0-9a-f]+">([\w-]+)<\/a>/g)].map((m) => m[1]);
  const good = await get("metrics.accuracy > 0.9");
  assert.equal(good.status, 200);
  assert.deepEqual(names(good.text), ["iris-clf"]);
  assert.match(good.text, /value="metrics.accuracy (>|&gt;) 0.9"/);
  assert.deepEqual(names((await get("name LIKE 'scr%'")).text), ["scratch"]);
  const none = await get("metrics.accuracy > 0.99");
  assert.deepEqual(names(none.text), []);
  assert.match(none.text, /No logged models match the filter\./);
  const bad = await get("metrics.accuracy >");
  assert.equal(bad.status, 400);
  assert.match(bad.text, /id="filter-error" role="alert"/);
  assert.deepEqual(names(bad.text), []);
  // The next page keeps the filter: both models match, one per page.
  const first = await get("name LIKE '%'", "&n=1");
  const next = /href="([^"]+)" rel="next"/.exec(first.text)?.[1].replaceAll("&amp;", "&");
  assert.ok(next && next.includes("filter="), next);
  assert.deepEqual(names((await f.get(`${next}&n=1`)).text), ["iris-clf"]);
});

each(
  "a logged model's page shows its info, params, metrics, artifacts, versions, tags",
  async (f) => {
    const { status, text } = await f.get(`/experiments/${f.exp}/models/${f.model}`);
    assert.equal(status, 200);
    assert.match(text, /<title>iris-clf · models-exp · mlt<\/title>/);
    assert.match(text, new RegExp(`<a href="/experiments/${f.exp}/models">Models</a> / iris-clf`));
    assert.match(text, new RegExp(`href="/experiments/${f.exp}/runs/${f.runId}">train-run</a>`));
    assert.match(text, /<th scope="row">C<\/th><td class="mono">0\.5<\/td>/);
    // One row per metric and dataset: the latest point of each.
    const metrics = text.slice(text.indexOf('id="model-metrics"'), text.indexOf('id="artifacts"'));
    const rows = [...metrics.matchAll(/<tr><th scope="row">accuracy<\/th>(.*?)<\/tr>/g)];
    assert.equal(rows.length, 2);
    assert.match(rows[0][1], /0\.93[\s\S]*iris-test[\s\S]*abc123/);
    assert.match(rows[1][1], /0\.95[\s\S]*iris-val/);
    assert.doesNotMatch(metrics, /0\.5<\/span><\/td>/);
    assert.match(text, /<th scope="row">team<\/th><td class="mono">vision<\/td>/);
    // A file name opens its preview on the page; Download fetches it through the proxy.
    assert.match(
      text,
      new RegExp(
        `href="/experiments/${f.exp}/models/${f.model}\\?file=MLmodel#artifacts">MLmodel</a>`,
      ),
    );
    assert.match(
      text,
      new RegExp(
        `href="/ajax-api/2.0/mlflow/logged-models/${f.model}/artifacts/files\\?artifact_file_path=MLmodel" download>Download`,
      ),
    );
    assert.doesNotMatch(text, /id="artifact-preview"/);
    const shown = await f.get(`/experiments/${f.exp}/models/${f.model}?file=MLmodel`);
    assert.equal(shown.status, 200);
    assert.match(shown.text, /id="artifact-preview"[\s\S]*<pre>flavors: \{\}\n<\/pre>/);
    const missing = await f.get(`/experiments/${f.exp}/models/${f.model}?file=nope.txt`);
    assert.equal(missing.status, 200);
    assert.match(missing.text, /id="artifact-preview"[\s\S]*nope\.txt/);
    const escape = await f.get(`/experiments/${f.exp}/models/${f.model}?file=../../etc/passwd`);
    assert.doesNotMatch(escape.text, /root:/);
    assert.match(
      text,
      /id="model-versions"[\s\S]*href="\/models\/Iris">Iris<\/a> <a href="\/models\/Iris\/versions\/1">version 1</,
    );
    assert.match(text, /id="register-form"/);
    const file = await f.get(
      `/ajax-api/2.0/mlflow/logged-models/${f.model}/artifacts/files?artifact_file_path=MLmodel`,
    );
    assert.equal(file.text, "flavors: {}\n");
    // Under another experiment's URL, the page moves to its own.
    const moved = await f.app.request(`/experiments/0/models/${f.model}`);
    assert.equal(moved.status, 302);
    assert.equal(moved.headers.get("location"), `/experiments/${f.exp}/models/${f.model}`);
    for (const bad of ["m-0123456789abcdef0123456789abcdef", "nope", "..%2f..%2fetc"]) {
      const miss = await f.get(`/experiments/${f.exp}/models/${bad}`);
      assert.equal(miss.status, 404, bad);
      assert.match(miss.text, /class="error"|Not found|404/);
      assert.match(miss.text, /^<!doctype html>/);
    }
  },
);

each("the registry lists models, searches by name, and shows a model's versions", async (f) => {
  const home = await f.get("/");
  assert.match(home.text, /<nav aria-label="Site">[\s\S]*href="\/models">Models<\/a>/);
  const list = await f.get("/models");
  assert.equal(list.status, 200);
  assert.match(list.text, /href="\/models\/Iris">Iris<\/a>[\s\S]*Version 1[\s\S]*@champion: v1/);
  assert.match(list.text, /Iris flowers/);
  assert.match(list.text, /href="\/models\/Other">Other<\/a>/);
  const found = await f.get("/models?q=ri");
  assert.match(found.text, />Iris<\/a>/);
  assert.doesNotMatch(found.text, />Other<\/a>/);
  const none = await f.get(`/models?q=${encodeURIComponent("zz'q")}`);
  assert.match(none.text, /No registered model name contains/);
  const page = await f.get("/models/Iris");
  assert.equal(page.status, 200);
  assert.match(page.text, /<a href="\/models">Models<\/a> \/ Iris/);
  const row = page.text.slice(page.text.indexOf('id="version-1"'));
  assert.match(row, /@champion/);
  assert.match(row, />None</);
  assert.match(
    row,
    new RegExp(
      `href="/experiments/${f.exp}/models/${f.model}" class="mono">models:/${f.model}</a>`,
    ),
  );
  assert.match(row, new RegExp(`href="/experiments/${f.exp}/runs/${f.runId}">train-run</a>`));
  assert.match(page.text, /<th scope="row">owner<\/th><td>ml-team/);
  assert.match(row, /href="\/models\/Iris\/versions\/1">Version 1</);
  const version = await f.get("/models/Iris/versions/1");
  assert.equal(version.status, 200);
  assert.match(
    version.text,
    /<a href="\/models">Models<\/a> \/ <a href="\/models\/Iris">Iris<\/a> \/ Version 1/,
  );
  assert.match(version.text, /id="version-info"[\s\S]*@champion[\s\S]*>train-run<\/a>/);
  assert.match(version.text, new RegExp(`href="/experiments/${f.exp}/models/${f.model}"`));
  assert.equal((await f.get("/models/Iris/versions/7")).status, 404);
  const miss = await f.get("/models/Nope");
  assert.equal(miss.status, 404);
  assert.match(miss.text, /^<!doctype html>/);
});

each("register a logged model, set and remove an alias; cross-site posts refused", async (f) => {
  const register = `/_mlt/action/logged-models/${f.other}/register`;
  assert.equal(
    (await f.post(register, { name: "Scratch" }, {
      origin: "http://evil.example",
      host: "localhost",
    })).status,
    403,
  );
  assert.equal((await f.get("/models/Scratch")).status, 404);
  const done = await f.post(register, { name: "Scratch" }, SAME);
  assert.equal(done.status, 303);
  assert.equal(done.headers.get("location"), "/models/Scratch#version-1");
  const v = await f.registry.getModelVersion("Scratch", 1);
  assert.equal(v.source, `models:/${f.other}`);
  assert.equal(v.runId, "");
  const again = await f.post(
    `/_mlt/action/logged-models/${f.model}/register`,
    { name: "Iris" },
    SAME,
  );
  assert.equal(again.headers.get("location"), "/models/Iris#version-2");
  const model = await f.get(`/experiments/${f.exp}/models/${f.model}`);
  assert.match(model.text, />version 1<\/a>[\s\S]*>version 2<\/a>/);
  const alias = "/_mlt/action/registered-models/Iris/alias";
  assert.equal((await f.post(alias, { alias: "prod", version: "2" }, SAME)).status, 303);
  assert.equal((await f.registry.getModelVersionByAlias("Iris", "prod")).version, 2);
  assert.equal((await f.post(alias, { alias: "v1", version: "2" }, SAME)).status, 400);
  assert.equal((await f.post(alias, { alias: "x", version: "9" }, SAME)).status, 404);
  assert.equal((await f.post(`${alias}/delete`, { alias: "prod" }, SAME)).status, 303);
  await assert.rejects(f.registry.getModelVersionByAlias("Iris", "prod"));
  assert.equal(
    (await f.post(`${alias}/delete`, { alias: "champion" }, { origin: "null", host: "localhost" }))
      .status,
    403,
  );
});

each("edit the description and tags of a registered model and a version", async (f) => {
  const base = "/_mlt/action/registered-models/Iris";
  const evil = { origin: "http://evil.example", host: "localhost" };
  assert.equal((await f.post(`${base}/description`, { text: "x" }, evil)).status, 403);
  const said = await f.post(`${base}/description`, { text: "# Iris\r\n*sepal* model" }, SAME);
  assert.equal(said.status, 303);
  assert.equal(said.headers.get("location"), "/models/Iris");
  assert.equal((await f.registry.getRegisteredModel("Iris")).description, "# Iris\n*sepal* model");
  const page = await f.get("/models/Iris");
  assert.match(page.text, /<h1>Iris<\/h1>[\s\S]*<em>sepal<\/em> model/); // Markdown rendered
  assert.equal((await f.post(`${base}/tags`, { key: "team", value: "cv" }, SAME)).status, 303);
  assert.equal((await f.post(`${base}/tags`, { key: " ", value: "v" }, SAME)).status, 400);
  assert.equal((await f.post(`${base}/tags/delete`, { key: "owner" }, SAME)).status, 303);
  assert.deepEqual(
    (await f.registry.getRegisteredModel("Iris")).tags.map((t) => [t.key, t.value]),
    [["team", "cv"]],
  );
  const v1 = `${base}/versions/1`;
  assert.equal((await f.post(`${v1}/description`, { text: "first fit" }, SAME)).status, 303);
  assert.equal((await f.post(`${v1}/tags`, { key: "validated", value: "yes" }, SAME)).status, 303);
  const v = await f.registry.getModelVersion("Iris", 1);
  assert.deepEqual([v.description, v.tags.map((t) => t.key)], ["first fit", ["validated"]]);
  const vpage = await f.get("/models/Iris/versions/1");
  assert.match(vpage.text, /id="version-description"[\s\S]*first fit/);
  assert.match(vpage.text, /<th scope="row">validated<\/th><td>yes/);
  assert.equal((await f.post(`${v1}/tags/delete`, { key: "validated" }, SAME)).status, 303);
  assert.deepEqual((await f.registry.getModelVersion("Iris", 1)).tags, []);
  assert.equal((await f.post(`${base}/versions/9/description`, { text: "?" }, SAME)).status, 404);
  assert.equal(
    (await f.post("/_mlt/action/registered-models/Nope/tags", { key: "k" }, SAME)).status,
    404,
  );
});

each("names are escaped and linked whatever their characters", async (f) => {
  const name = `it's <b>&"x" #?`;
  await f.registry.createRegisteredModel(name, [], "<script>alert(1)</script>");
  await f.registry.createModelVersion({ name, source: `models:/${f.model}`, modelId: f.model });
  const list = await f.get("/models?q=" + encodeURIComponent("<b>"));
  const href = `/models/${encodeURIComponent(name)}`;
  assert.match(list.text, />it's &lt;b>&amp;&quot;x&quot; #\?<\/a>/);
  assert.doesNotMatch(list.text, /<script>alert/);
  const link = /href="(\/models\/it[^"]+)"/.exec(list.text)?.[1].replaceAll("&amp;", "&");
  assert.equal(link, href);
  const page = await f.get(link!);
  assert.equal(page.status, 200);
  assert.match(page.text, new RegExp(`href="${href.replace(/[?%]/g, "\\$&")}/versions/1"`));
  assert.equal((await f.get(`${href}/versions/1`)).status, 200);
});
