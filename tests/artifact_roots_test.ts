/**
 * The artifact roots of a server over a SQLite store (src/cli/server_roots.ts): runs whose
 * artifacts lie in the `mlruns` folder beside the database, or under an `--artifact-root`, are
 * served; a stored pointer outside them, a `..` escape or a symlink leading out is refused with
 * MLflow's 400 "Invalid path". Through `app.request()` over a real SQLite file.
 */
import assert from "node:assert/strict";
import { createApp } from "../src/api/app.ts";
import { localArtifactRoots } from "../src/cli/server_roots.ts";
import { parseServerArgs } from "../src/cli/server_options.ts";
import { openStore } from "../src/store/open.ts";
import type { TrackingStore } from "../src/store/store.ts";

async function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "mlt-roots-" }));
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

// A run whose artifacts live at `<location>/<run>/artifacts`, holding `a.txt`.
async function runAt(store: TrackingStore, name: string, location: string) {
  const exp = await store.createExperiment(name, location);
  const run = await store.createRun({ experimentId: exp });
  const dir = run.info.artifactUri;
  if (!dir.includes("..")) {
    await Deno.mkdir(dir, { recursive: true }).catch(() => {});
    await Deno.writeTextFile(`${dir}/a.txt`, "secret-or-not").catch(() => {});
  }
  return run.info.runId;
}

Deno.test("localArtifactRoots(): the store's folders, the local default root and --artifact-root", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(`${dir}/real`);
    await Deno.symlink(`${dir}/real`, `${dir}/link`);
    assert.deepEqual(
      localArtifactRoots({ storeUri: `sqlite:///${dir}/link/mlflow.db`, cwd: "/w" }),
      [`${dir}/link/mlruns`, "/w/mlruns"],
    );
    await Deno.mkdir(`${dir}/real/mlruns`);
    assert.deepEqual(
      localArtifactRoots({
        storeUri: `sqlite:///${dir}/link/mlflow.db`,
        cwd: dir,
        artifactRoot: "mlflow-artifacts:/",
        extra: ["more", "/abs"],
      }),
      [`${dir}/link/mlruns`, `${dir}/real/mlruns`, `${dir}/more`, "/abs"],
      "both spellings of a symlinked root; no proxy URI",
    );
    assert.deepEqual(
      localArtifactRoots({ storeUri: "file:///x/mlruns", cwd: dir, artifactRoot: "./arts" }),
      ["/x/mlruns", `${dir}/arts`],
    );
    assert.deepEqual(localArtifactRoots({ storeUri: "http://h:5000", cwd: dir }), []);
  });
});

Deno.test("--artifact-root may be given more than once", () => {
  const o = parseServerArgs(["--artifact-root", "a", "--artifact-root", "/b", "-p", "0"]);
  assert.deepEqual(o["artifact-root"], ["a", "/b"]);
});

Deno.test("a SQLite store's artifacts: served inside the roots, refused outside", async () => {
  await withDir(async (dir) => {
    const store = openStore(`sqlite:///${dir}/mlflow.db`);
    const app = (extra: string[] = []) =>
      createApp({
        store,
        artifactsDestination: `${dir}/mlartifacts`,
        localArtifactRoots: localArtifactRoots({
          storeUri: store.uri,
          cwd: `${dir}/elsewhere`,
          artifactRoot: "mlflow-artifacts:/",
          extra,
        }),
      });
    const get = async (a: ReturnType<typeof app>, path: string) => {
      const res = await a.request(path);
      const text = await res.text();
      return { status: res.status, text };
    };
    const list = (id: string, sub = "") =>
      `/api/2.0/mlflow/artifacts/list?run_id=${id}${sub ? `&path=${sub}` : ""}`;
    const file = (id: string, path: string) => `/get-artifact?run_id=${id}&path=${path}`;
    try {
      // MLflow's default: ./mlruns beside the database.
      const inside = await runAt(store, "inside", `${dir}/mlruns/1`);
      const served = await get(app(), list(inside));
      assert.equal(served.status, 200, served.text);
      assert.deepEqual(JSON.parse(served.text).files, [
        { path: "a.txt", is_dir: false, file_size: 13 },
      ]);
      assert.equal((await get(app(), file(inside, "a.txt"))).text, "secret-or-not");

      // Another folder: refused, until it is named with --artifact-root.
      const other = await runAt(store, "other", `${dir}/other`);
      for (const p of [list(other), file(other, "a.txt")]) {
        const r = await get(app(), p);
        assert.equal(r.status, 400, p);
        assert.equal(JSON.parse(r.text).message, "Invalid path");
      }
      assert.equal((await get(app([`${dir}/other`]), file(other, "a.txt"))).text, "secret-or-not");

      // A stored pointer that climbs out with `..`.
      const climb = await runAt(store, "climb", `${dir}/mlruns/../other`);
      assert.equal((await get(app(), list(climb))).status, 400);
      // A client path that climbs out of the run's folder.
      assert.equal((await get(app(), list(inside, "..%2F..%2F.."))).status, 400);
      assert.equal((await get(app(), file(inside, "../../../other/a.txt"))).status, 400);

      // Symlinks inside the root that lead out: not listed, not served.
      const arts = `${dir}/mlruns/1/${inside}/artifacts`;
      await Deno.symlink(`${dir}/other`, `${arts}/out`);
      await Deno.symlink("/etc/hostname", `${arts}/host`);
      assert.deepEqual(
        JSON.parse((await get(app(), list(inside))).text).files.map((f: { path: string }) =>
          f.path
        ),
        ["a.txt"],
      );
      for (const p of ["host", `out/${other}/artifacts/a.txt`]) {
        assert.equal((await get(app(), file(inside, p))).status, 400, p);
      }
      // An experiment folder under the root that is itself a link out.
      await Deno.symlink(`${dir}/other`, `${dir}/mlruns/2`);
      const linked = await runAt(store, "linked", `${dir}/mlruns/2`);
      assert.equal((await get(app(), file(linked, "a.txt"))).status, 400);
    } finally {
      await store.close();
    }
  });
});
