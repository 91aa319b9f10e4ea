/**
 * The program `deno task install` installs (tools/bundle.ts: main.ts bundled with code splitting,
 * run with the install task's Deno flags and no configuration), tested as users run it: the real
 * Python client's tracking and logged-model flows against its server with `--workers 2` and
 * `--expose-prometheus` (CommonJS prom-client, whose `require` the build defers), the web UI and
 * its assets, the CLI (commander, a project run), and a server on PostgreSQL with an S3 artifact
 * destination (the bundled postgres driver and S3 signer). The other suites test main.ts.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL as toFileUrl } from "node:url";
import { type MltServer, startMltServer } from "../helpers/mlt_server.ts";
import { runProcess } from "../helpers/process.ts";
import { sharedCluster, stopClusterTest } from "../helpers/postgres.ts";
import { withS3 } from "../helpers/s3.ts";
import { runFlows as runModelFlows } from "./model_flows.ts";
import { PYTHON_ENV, pythonPath, REPO_ROOT } from "./python.ts";
import { runServerFlows } from "./server_flows.ts";
import { bundle as bundleInto, installRunFlags } from "../../tools/bundle.ts";

const work = await Deno.realPath(await Deno.makeTempDir({ prefix: "mlt-bundle-" }));
globalThis.addEventListener("unload", () => Deno.removeSync(work, { recursive: true }));

// deno.json's install task: the Deno flags of the installed command (everything but the build).
const INSTALL: string = JSON.parse(await Deno.readTextFile(`${REPO_ROOT}/deno.json`)).tasks.install;
const FLAGS = installRunFlags(INSTALL);

let built: Promise<string> | undefined;
/** Builds the bundle once per file (as the install task does); resolves to its main.js. */
function bundle(): Promise<string> {
  return built ??= bundleInto(join(work, "dist")).then((files) => {
    assert.ok(files > 10, "one chunk per lazily loaded part");
    return join(work, "dist", "main.js");
  });
}

async function startServer(dir: string, args: string[], env: Record<string, string> = {}) {
  return await startMltServer(dir, args, env, { main: await bundle(), denoArgs: FLAGS });
}

async function stop(server: MltServer): Promise<string> {
  server.child.kill("SIGTERM");
  const status = await server.child.status;
  const stderr = await server.stderr;
  assert.equal(status.code, 0, stderr);
  return stderr;
}

Deno.test("the install task installs the bundle with its Deno flags, and no chunk loads node:module at start", async () => {
  assert.match(INSTALL, /^deno run -A tools\/bundle\.ts && deno install .* dist\/mlt\/main\.js$/);
  assert.ok(FLAGS.includes("--unstable-lazy-dynamic-imports"), INSTALL);
  assert.ok(FLAGS.includes("--no-config"), INSTALL);
  const dir = join(await bundle(), "..");
  const chunks = [...Deno.readDirSync(dir)].filter((e) => e.name.endsWith(".js"));
  for (const c of chunks) {
    const text = Deno.readTextFileSync(join(dir, c.name));
    assert.doesNotMatch(text, /from\s*"node:module"/, c.name);
    assert.doesNotMatch(text, /from\s*"(npm:|jsr:|hono|preact)/, `${c.name} imports a package`);
  }
});

Deno.test("the bundle serves the Python client: tracking and logged-model flows, --workers 2, /metrics, the UI", async (t) => {
  pythonPath();
  const dir = join(work, "serve");
  await Deno.mkdir(dir);
  const server = await startServer(dir, [
    "--backend-store-uri",
    `sqlite:///${dir}/mlflow.db`,
    "--artifacts-destination",
    `${dir}/mlartifacts`,
    "--workers",
    "2",
    "--expose-prometheus",
    `${dir}/prom`,
  ]);
  let stderr = "";
  try {
    await t.step("the copy runs as the first process does", async () => {
      const copies = (await runProcess("pgrep", ["-P", String(server.child.pid)])).stdout
        .trim().split("\n").filter(Boolean);
      assert.equal(copies.length, 1, "one copy for --workers 2");
      const cmdline = (await Deno.readTextFile(`/proc/${copies[0]}/cmdline`)).split("\0");
      for (const f of FLAGS) assert.ok(cmdline.includes(f), `${f} in ${cmdline.join(" ")}`);
      assert.ok(cmdline.includes(toFileUrl(await bundle()).href), cmdline.join(" "));
    });
    const results = await runServerFlows(server.url, dir);
    assert.ok(Object.keys(results).length >= 12, "every tracking flow ran");
    for (const [flow, result] of Object.entries(results)) {
      await t.step(flow, () => assert.equal(result, "ok", result));
    }
    const models = await runModelFlows(server.url, dir, pythonPath(), ["log_and_load", "search"]);
    for (const [flow, result] of Object.entries(models.results)) {
      await t.step(`logged models: ${flow}`, () => assert.equal(result, "ok", result));
    }
    await t.step("the UI's page and assets, /metrics", async () => {
      const page = await fetch(`${server.url}/`);
      const html = await page.text();
      assert.equal(page.status, 200);
      assert.match(html, /<title>[^<]*Experiments/);
      const css = await fetch(`${server.url}/_mlt/assets/style.css`);
      assert.equal(css.status, 200);
      assert.match(await css.text(), /\{[^}]*\}/);
      const js = await fetch(`${server.url}/_mlt/assets/charts.js`);
      assert.match(await js.text(), /export function setupChart/);
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      assert.match(metrics, /^mlflow_http_request_total\{.*route="\/api\/2\.0\/mlflow\//m);
    });
  } finally {
    stderr = await stop(server);
  }
  assert.doesNotMatch(stderr, /Uncaught|TypeError|ReferenceError/);
});

Deno.test("the bundle's CLI: --version, --help, a project run into SQLite, runs list", async () => {
  const main = await bundle();
  const dir = join(work, "cli");
  await Deno.mkdir(dir);
  const store = `sqlite:///${dir}/mlflow.db`;
  const cli = (args: string[]) =>
    runProcess(Deno.execPath(), ["run", "-A", ...FLAGS, main, ...args], {
      cwd: dir,
      env: { NO_COLOR: "1", MLFLOW_TRACKING_URI: store },
    });
  const version = await cli(["--version"]);
  assert.equal(version.code, 0, version.stderr);
  const pinned = JSON.parse(await Deno.readTextFile(`${REPO_ROOT}/deno.json`)).version;
  assert.equal(version.stdout.trim(), pinned);
  const help = await cli(["--help"]);
  assert.match(help.stdout, /^\s+run \[options\]/m);
  const run = await cli(["run", `${REPO_ROOT}/examples/hello`, "-P", "name=bundle"]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /hello, bundle/i);
  const list = await cli(["runs", "list"]);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /FINISHED/);
});

Deno.test("the bundle on PostgreSQL with an S3 artifact destination", async () => {
  pythonPath();
  const cluster = sharedCluster();
  const url = cluster.url(cluster.createDatabase("bundle"));
  await withS3(async (s3) => {
    const dir = join(work, "pg");
    await Deno.mkdir(dir);
    const server = await startServer(dir, [
      "--backend-store-uri",
      url,
      "--artifacts-destination",
      `s3://${s3.bucket}/dest`,
    ], s3.env);
    try {
      const script = `
import mlflow, os, sys
mlflow.set_tracking_uri(sys.argv[1])
mlflow.set_experiment("bundle-pg")
with mlflow.start_run() as run:
    mlflow.log_param("p", "1")
    for step in range(3):
        mlflow.log_metric("m", step * 0.5, step=step)
    mlflow.log_text("through the proxy", "notes/a.txt")
client = mlflow.MlflowClient()
got = client.get_run(run.info.run_id)
assert got.data.params == {"p": "1"}, got.data.params
assert [m.value for m in client.get_metric_history(run.info.run_id, "m")] == [0.0, 0.5, 1.0]
path = mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="notes/a.txt")
assert open(path).read() == "through the proxy"
print("RUN", run.info.run_id, run.info.experiment_id)
`;
      const out = await runProcess(pythonPath(), ["-c", script, server.url], {
        cwd: dir,
        env: { ...PYTHON_ENV, MLFLOW_HTTP_REQUEST_MAX_RETRIES: "0" },
      });
      assert.equal(out.code, 0, out.stderr);
      const [, runId, expId] = /RUN (\w+) (\d+)/.exec(out.stdout)!;
      // The file is an object in the bucket, under the destination's prefix.
      const obj = await s3.client.send({
        method: "GET",
        bucket: s3.bucket,
        key: `dest/${expId}/${runId}/artifacts/notes/a.txt`,
      });
      assert.equal(await obj.text(), "through the proxy");
    } finally {
      await stop(server);
    }
  });
});

stopClusterTest();
