/**
 * Artifact names holding `%XX` with the real mlflow client, against `mlt server`:
 *
 * - logged straight into a file store (the names are literal on disk), then listed and
 *   downloaded through mlt server's `artifacts/list` and `/get-artifact` (what the UI links to):
 *   every name comes back exactly, as mlt decodes each path once. MLflow's server decodes query
 *   parameters twice and answers 404 (or the other file) for `a%20b.txt`.
 * - logged through the `mlflow-artifacts` proxy: the client puts names into the URL without
 *   encoding them, so `a%20b.txt` travels as `a b.txt` would; mlt then behaves as mlflow
 *   server does (measured with mlflow 3.17.2: `100%.txt` round-trips, `a%20b.txt` becomes
 *   `a b.txt`). See docs/hardening-store.md.
 */
import assert from "node:assert/strict";
import { startMltServer } from "../helpers/mlt_server.ts";
import { runProcess } from "../helpers/process.ts";
import { PYTHON_ENV, pythonPath, REPO_ROOT } from "./python.ts";

const SCRIPT = `${REPO_ROOT}/tests/compat/artifact_names.py`;
const NAMES = ["a%20b.txt", "100%.txt", "a b.txt"];

interface Results {
  run_id: string;
  upload: Record<string, string>;
  listed: string[];
  download: Record<string, [string, string] | string>;
}

async function logNames(uri: string, dir: string, names: string[]): Promise<Results> {
  const out = await runProcess(pythonPath(), [SCRIPT, uri, dir, ...names], {
    cwd: dir,
    env: { ...PYTHON_ENV, MLFLOW_HTTP_REQUEST_MAX_RETRIES: "0" },
  });
  const line = out.stdout.split("\n").find((l) => l.startsWith("MLT_RESULTS "));
  assert.ok(line, `no results from artifact_names.py:\n${out.stderr}`);
  return JSON.parse(line.slice("MLT_RESULTS ".length));
}

Deno.test("the mlflow client's %XX artifact names round-trip through mlt server", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "mlt-names-" }));
  try {
    // Straight into the file store: names are literal files.
    const local = await logNames(`${dir}/mlruns`, dir, NAMES);
    assert.deepEqual(local.listed, [...NAMES].sort());
    const server = await startMltServer(dir, [
      "--backend-store-uri",
      `${dir}/mlruns`,
      "--artifacts-destination",
      `${dir}/mlartifacts`,
    ]);
    try {
      const api = (p: string, q: Record<string, string>) =>
        fetch(`${server.url}${p}?${new URLSearchParams(q)}`);
      const list = await (await api("/api/2.0/mlflow/artifacts/list", { run_id: local.run_id }))
        .json();
      assert.deepEqual(list.files.map((f: { path: string }) => f.path), [...NAMES].sort());
      for (const [i, name] of NAMES.entries()) {
        const res = await api("/get-artifact", { run_id: local.run_id, path: name });
        assert.equal(res.status, 200, name);
        assert.equal(await res.text(), `content ${i}`, name);
      }
      // Through the proxy, as mlflow server does: the client sends the names unencoded.
      const proxied = await logNames(server.url, dir, ["100%.txt", "a%20b.txt"]);
      assert.deepEqual(proxied.upload, { "100%.txt": "ok", "a%20b.txt": "ok" });
      assert.deepEqual(proxied.listed, ["100%.txt", "a b.txt"]);
      assert.deepEqual(proxied.download["100%.txt"], ["100%.txt", "content 0"]);
      assert.deepEqual(proxied.download["a%20b.txt"], ["a%20b.txt", "content 1"]);
    } finally {
      server.child.kill("SIGTERM");
      await server.child.status;
      await server.stderr;
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
