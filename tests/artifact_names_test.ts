/**
 * Artifact names holding `%XX`: every path is decoded exactly once (a URL path once, a query
 * parameter not again), so `a%20b.txt` and `a b.txt` stay two files that list, download and
 * upload under their own names, through the REST routes, the proxy and the UI's links.
 */
import assert from "node:assert/strict";
import { createApp } from "../src/api/app.ts";
import { mountUi } from "../ui/app.ts";
import { newRun, testApp } from "./helpers/api.ts";

const NAMES = ["a%20b.txt", "a b.txt", "100%.txt", "50%25.txt", "x%2Fy.txt", "%2e%2e.txt"];
const enc = (p: string) => p.split("/").map(encodeURIComponent).join("/");

Deno.test("artifact names with %XX list, download and upload under their own names", async () => {
  const t = await testApp();
  try {
    const e = await t.call("experiments/create", {
      name: "names",
      artifact_location: `${t.dir}/local/n`,
    });
    const r = await t.call("runs/create", { experiment_id: e.json.experiment_id });
    // deno-lint-ignore no-explicit-any
    const runId = (r.json.run as any).info.run_id as string;
    const arts = `${t.dir}/local/n/${runId}/artifacts`;
    await Deno.mkdir(`${arts}/d%41`, { recursive: true });
    for (const [i, n] of NAMES.entries()) await Deno.writeTextFile(`${arts}/${n}`, `file ${i}`);
    await Deno.writeTextFile(`${arts}/d%41/in.txt`, "nested");
    const list = await (await t.get("artifacts/list", { run_id: runId })).json();
    assert.deepEqual(
      list.files.map((f: { path: string }) => f.path),
      [...NAMES, "d%41"].sort(),
    );
    for (const [i, n] of NAMES.entries()) {
      const res = await t.app.request(
        `/get-artifact?${new URLSearchParams({ run_id: runId, path: n })}`,
      );
      assert.equal(res.status, 200, n);
      assert.equal(await res.text(), `file ${i}`, n);
    }
    const sub = await (await t.get("artifacts/list", { run_id: runId, path: "d%41" })).json();
    assert.deepEqual(sub.files.map((f: { path: string }) => f.path), ["d%41/in.txt"]);
    // The UI's upload: the path query parameter is taken as it arrives, not decoded again.
    const up = await t.app.request(
      `/ajax-api/2.0/mlflow/upload-artifact?${new URLSearchParams({
        run_uuid: runId,
        path: "up%20load.txt",
      })}`,
      { method: "POST", body: "uploaded" },
    );
    assert.equal(up.status, 200, await up.clone().text());
    assert.equal(await Deno.readTextFile(`${arts}/up%20load.txt`), "uploaded");
    // The proxy: the URL path is decoded once, so an encoded `%` stays a `%`.
    const run = await newRun(t, "proxied");
    const base = `/api/2.0/mlflow-artifacts/artifacts/${run.expId}/${run.runId}/artifacts`;
    for (const [i, n] of NAMES.entries()) {
      const put = await t.app.request(`${base}/${enc(n)}`, { method: "PUT", body: `proxied ${i}` });
      assert.equal(put.status, 200, n);
      await put.body?.cancel();
    }
    const plist = await (await t.app.request(
      `/api/2.0/mlflow-artifacts/artifacts?path=${
        encodeURIComponent(`${run.expId}/${run.runId}/artifacts`)
      }`,
    )).json();
    assert.deepEqual(plist.files.map((f: { path: string }) => f.path), [...NAMES].sort());
    for (const [i, n] of NAMES.entries()) {
      const get = await t.app.request(`${base}/${enc(n)}`);
      assert.equal(await get.text(), `proxied ${i}`, n);
    }
    // Still no traversal, however the name is spelled.
    // (%2e%2e itself never arrives: URL parsers resolve it as "..", within the URL.)
    for (const bad of ["%252e%252e/x", "%252e%252e%252fx", "a/%255c..%255cx"]) {
      const res = await t.app.request(`${base}/${bad}`, { method: "PUT", body: "x" });
      assert.equal(res.status, 400, bad);
      await res.body?.cancel();
    }
  } finally {
    await t.close();
  }
});

Deno.test("the UI's artifact browser opens and downloads %XX names", async () => {
  const t = await testApp();
  try {
    const app = createApp({
      store: t.store,
      artifactsDestination: t.artifacts,
      localArtifactRoots: [`${t.dir}/local`],
    });
    const ui = mountUi(app, { store: t.store });
    try {
      const expId = await t.store.createExperiment("ui-names", `${t.dir}/local/u`);
      const runId = (await t.store.createRun({ experimentId: expId })).info.runId;
      const arts = `${t.dir}/local/u/${runId}/artifacts`;
      await Deno.mkdir(arts, { recursive: true });
      await Deno.writeTextFile(`${arts}/a%20b.txt`, "percent");
      await Deno.writeTextFile(`${arts}/a b.txt`, "space");
      const page = await (await app.request(
        `/experiments/${expId}/runs/${runId}?artifact=${encodeURIComponent("a%20b.txt")}`,
      )).text();
      assert.match(page, /percent/, "the preview shows the file named a%20b.txt");
      const hrefs = [...page.matchAll(/href="(\/get-artifact\?[^"]+)"/g)].map((m) =>
        m[1].replaceAll("&amp;", "&")
      );
      assert.ok(hrefs.length >= 1, page);
      for (const href of hrefs) {
        const path = new URL(href, "http://x").searchParams.get("path")!;
        const res = await app.request(href);
        assert.equal(await res.text(), path === "a b.txt" ? "space" : "percent", href);
      }
    } finally {
      ui.close();
    }
  } finally {
    await t.close();
  }
});
