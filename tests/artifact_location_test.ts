/**
 * Artifact locations never lie inside a tracking store's metadata: refused where they are
 * accepted (`experiments/create`, the stores' createExperiment) and where they are dereferenced
 * (artifact listing, download, upload, the proxy, the artifact repositories of the client and
 * CLI, the UI), so an upload can never write a param, metric, tag or meta.yaml of another run.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createApp } from "../src/api/app.ts";
import { MltError } from "../src/errors.ts";
import { metadataConflict } from "../src/store/artifact_guard.ts";
import { openArtifactRepo } from "../src/store/artifacts.ts";
import { FileStore } from "../src/store/file/file_store.ts";
import { SqliteStore } from "../src/store/sqlite/sqlite_store.ts";
import { mountUi } from "../ui/app.ts";
import { testApp } from "./helpers/api.ts";
import { rejectsWith } from "./store_contract.ts";

// Locations relative to the store root; `<run>` is a run of experiment 0 with a param.
const INSIDE_METADATA = [
  "0/<run>/params",
  "0/<run>/params/sub",
  "0/<run>/metrics",
  "0/<run>/tags",
  "0/<run>/inputs",
  "0/<run>",
  "0",
  "0/tags",
  "0/datasets",
  "0/traces/t",
  ".trash",
  ".trash/0/<run>/artifacts",
  "models",
  "",
  "new-folder",
  "1234/<run>/params",
];
const ARTIFACT_AREAS = [
  "0/<run>/artifacts",
  "0/<run>/artifacts/shared/x",
  "0/models/m-1/artifacts",
];

async function victim(
  t: { call: (p: string, b: unknown) => Promise<{ json: Record<string, unknown> }> },
) {
  const r = await t.call("runs/create", { experiment_id: "0", start_time: 1 });
  // deno-lint-ignore no-explicit-any
  const runId = (r.json.run as any).info.run_id as string;
  await t.call("runs/log-parameter", { run_id: runId, key: "p", value: "v" });
  return runId;
}

Deno.test("metadataConflict() allows only a run's or logged model's artifacts folder", async () => {
  const t = await testApp();
  try {
    const run = await victim(t);
    const root = `${t.dir}/mlruns`;
    for (const rel of INSIDE_METADATA) {
      const p = join(root, rel.replace("<run>", run));
      assert.ok(metadataConflict(p, { stores: [root] }), rel);
      // Found without being told: the tree is recognised by its .trash and default experiment.
      assert.ok(metadataConflict(p), `${rel} (found by its marks)`);
    }
    for (const rel of ARTIFACT_AREAS) {
      assert.equal(
        metadataConflict(join(root, rel.replace("<run>", run)), { stores: [root] }),
        undefined,
        rel,
      );
    }
    for (const p of [`${t.dir}/local/x`, `${t.dir}/mlartifacts/1`, t.dir]) {
      assert.equal(metadataConflict(p, { stores: [root] }), undefined, p);
    }
    // Through a symlink into the store.
    await Deno.symlink(join(root, "0", run), `${t.dir}/local-link`);
    assert.ok(metadataConflict(`${t.dir}/local-link/params`));
  } finally {
    await t.close();
  }
});

Deno.test("experiments/create refuses locations inside the store's metadata", async () => {
  const t = await testApp();
  try {
    const run = await victim(t);
    const root = `${t.dir}/mlruns`;
    let n = 0;
    for (const rel of INSIDE_METADATA) {
      const path = join(root, rel.replace("<run>", run));
      for (const loc of [path, pathToFileURL(path).href]) {
        const res = await t.call("experiments/create", {
          name: `bad${n++}`,
          artifact_location: loc,
        });
        assert.equal(res.status, 400, `${loc}: ${JSON.stringify(res.json)}`);
        assert.equal(res.json.error_code, "INVALID_PARAMETER_VALUE");
        assert.match(String(res.json.message), /metadata/);
        assert.ok(!String(res.json.message).includes(t.dir), "no server path in the answer");
      }
    }
    for (const rel of ARTIFACT_AREAS.slice(0, 2)) {
      const loc = join(root, rel.replace("<run>", run));
      const res = await t.call("experiments/create", { name: `ok${n++}`, artifact_location: loc });
      assert.equal(res.status, 200, `${loc}: ${JSON.stringify(res.json)}`);
    }
    // The artifacts destination is the store: proxied locations are held to the same rule.
    const same = await testApp();
    try {
      const app = createApp({ store: same.store, artifactsDestination: `${same.dir}/mlruns` });
      const r = await victim(same);
      const res = await app.request("/api/2.0/mlflow/experiments/create", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: "px", artifact_location: `mlflow-artifacts:/0/${r}/params` }),
      });
      assert.equal(res.status, 400, await res.clone().text());
      await res.body?.cancel();
      const put = await app.request(`/api/2.0/mlflow-artifacts/artifacts/0/${r}/params/planted`, {
        method: "PUT",
        body: "x",
      });
      assert.equal(put.status, 400, "the proxy does not write into a run's params");
      await put.body?.cancel();
      const del = await app.request(`/api/2.0/mlflow-artifacts/artifacts/0/${r}/params/p`, {
        method: "DELETE",
      });
      assert.equal(del.status, 400, "nor delete them");
      await del.body?.cancel();
      const ok = await app.request(`/api/2.0/mlflow-artifacts/artifacts/0/${r}/artifacts/a.txt`, {
        method: "PUT",
        body: "x",
      });
      assert.equal(ok.status, 200, "a run's own artifacts folder is fine");
      await ok.body?.cancel();
      assert.deepEqual((await same.store.getRun(r)).data.params, [{ key: "p", value: "v" }]);
    } finally {
      await same.close();
    }
  } finally {
    await t.close();
  }
});

Deno.test("a stored location inside another run's metadata is never dereferenced", async () => {
  const t = await testApp();
  try {
    const run = await victim(t);
    const root = `${t.dir}/mlruns`;
    const exp = await t.call("experiments/create", { name: "evil" });
    const id = exp.json.experiment_id as string;
    // As a hand edit (or a version of mlt before the check) would have stored it.
    const meta = join(root, id, "meta.yaml");
    const text = await Deno.readTextFile(meta);
    await Deno.writeTextFile(
      meta,
      text.replace(/^artifact_location: .*$/m, `artifact_location: ${root}/0/${run}/params`),
    );
    const created = await t.call("runs/create", { experiment_id: id });
    // deno-lint-ignore no-explicit-any
    const evil = (created.json.run as any).info.run_id as string;
    const up = await t.app.request(
      `/ajax-api/2.0/mlflow/upload-artifact?run_uuid=${evil}&path=x.txt`,
      { method: "POST", body: "planted" },
    );
    assert.equal(up.status, 400, await up.clone().text());
    assert.match((await up.json()).message, /metadata/);
    const ls = await t.get("artifacts/list", { run_id: evil });
    assert.equal(ls.status, 400);
    await ls.body?.cancel();
    const get = await t.app.request(`/get-artifact?run_id=${evil}&path=x.txt`);
    assert.equal(get.status, 400);
    await get.body?.cancel();
    // The client's and CLI's artifact repository refuses it too.
    const info = (await t.store.getRun(evil)).info;
    assert.throws(() => openArtifactRepo(info.artifactUri), (e) => e instanceof MltError);
    // The victim is untouched and every search still works.
    assert.deepEqual((await t.store.getRun(run)).data.params, [{ key: "p", value: "v" }]);
    const search = await t.call("runs/search", { experiment_ids: ["0", id] });
    assert.equal(search.status, 200);
    // The UI shows the refusal in the artifact section of the run page, not the params folder.
    const app = createApp({
      store: t.store,
      artifactsDestination: t.artifacts,
      localArtifactRoots: [root],
    });
    const ui = mountUi(app, { store: t.store });
    try {
      const page = await app.request(`/experiments/${id}/runs/${evil}`);
      assert.equal(page.status, 200);
      const html = await page.text();
      assert.match(html, /class="error">Invalid artifact location of this run: [^<]*metadata/);
      assert.doesNotMatch(html, />p</, "the victim's param file is not listed as an artifact");
    } finally {
      ui.close();
    }
  } finally {
    await t.close();
  }
});

Deno.test("the stores' createExperiment refuses locations in a file store's metadata", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "mlt-loc-" }));
  try {
    const root = `${dir}/mlruns`;
    const fs = new FileStore(root, { warn: () => {} });
    const run = (await fs.createRun({})).info.runId;
    await fs.logParam(run, { key: "p", value: "v" });
    const sq = new SqliteStore(`sqlite:///${dir}/db.sqlite`, { artifactRoot: `${dir}/sq-art` });
    for (const store of [fs, sq]) {
      for (const rel of ["0/<run>/params", "0", "", ".trash"]) {
        const loc = join(root, rel.replace("<run>", run));
        await rejectsWith(
          store.createExperiment(`x-${rel}`, loc),
          "INVALID_PARAMETER_VALUE",
          "metadata",
        );
        await rejectsWith(
          store.createExperiment(`u-${rel}`, pathToFileURL(loc).href),
          "INVALID_PARAMETER_VALUE",
          "metadata",
        );
      }
      await store.createExperiment(`fine-${store.uri.slice(0, 4)}`, `${dir}/elsewhere`);
      await store.createExperiment(
        `inrun-${store.uri.slice(0, 4)}`,
        `${root}/0/${run}/artifacts/x`,
      );
    }
    // The file store knows its own root before anything marks it as a store.
    const fresh = new FileStore(`${dir}/fresh`, { warn: () => {} });
    await rejectsWith(fresh.createExperiment("f", `${dir}/fresh/0`), "INVALID_PARAMETER_VALUE");
    await fresh.close();
    await sq.close();
    await fs.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an artifact root the operator put inside the store is an artifact area", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "mlt-loc-" }));
  try {
    const root = `${dir}/mlruns`;
    const store = new FileStore(root, { warn: () => {}, artifactRoot: `${root}/art` });
    const app = createApp({
      store,
      artifactsDestination: `${dir}/mlartifacts`,
      localArtifactRoots: [root, `${root}/art`],
    });
    const exp = await store.createExperiment("inside");
    const run = (await store.createRun({ experimentId: exp })).info.runId;
    assert.equal((await store.getRun(run)).info.artifactUri, `${root}/art/${exp}/${run}/artifacts`);
    const up = await app.request(
      `/ajax-api/2.0/mlflow/upload-artifact?run_uuid=${run}&path=x.txt`,
      { method: "POST", body: "x" },
    );
    assert.equal(up.status, 200, await up.text());
    assert.equal(await Deno.readTextFile(`${root}/art/${exp}/${run}/artifacts/x.txt`), "x");
    await store.createExperiment("also-inside", `${root}/art/shared`);
    await rejectsWith(store.createExperiment("not", `${root}/0`), "INVALID_PARAMETER_VALUE");
    assert.equal(
      metadataConflict(`${root}/art/a/b`, { artifactRoots: [`${root}/art`] }),
      undefined,
    );
    assert.ok(metadataConflict(`${root}/art/a/b`, { artifactRoots: [root] }));
    await store.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
