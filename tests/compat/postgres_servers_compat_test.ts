/**
 * Many `mlt server` processes on one PostgreSQL database and one artifact folder, through real
 * sockets: the real Python client (3.17.2) creates through one server, writes through another
 * and reads through a third (tests/compat/postgres_servers_flows.py); then one server is killed
 * with SIGKILL while writers keep going: the other keeps answering, and every write a server
 * acknowledged is in the database; a run page's live stream on one server shows what another
 * wrote. Needs the venv python and PostgreSQL; missing ones fail.
 */
import assert from "node:assert/strict";
import { type MltServer, startMltServer } from "../helpers/mlt_server.ts";
import { runProcess } from "../helpers/process.ts";
import { sharedCluster, stopClusterTest } from "../helpers/postgres.ts";
import { PYTHON_ENV, pythonPath, REPO_ROOT } from "./python.ts";

const FLOWS = `${REPO_ROOT}/tests/compat/postgres_servers_flows.py`;
const API = "/api/2.0/mlflow";

async function post(base: string, path: string, body: unknown) {
  const res = await fetch(`${base}${API}/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

async function stopAll(servers: MltServer[]): Promise<void> {
  for (const s of servers) {
    try {
      s.child.kill("SIGTERM");
    } catch { /* already gone (the SIGKILL test) */ }
    await s.child.status;
    await s.stderr;
  }
}

// `n` servers on `url`, all proxying one artifact folder (the shared bucket's stand-in).
async function startServers(dir: string, url: string, n: number): Promise<MltServer[]> {
  const servers: MltServer[] = [];
  for (let i = 0; i < n; i++) {
    servers.push(
      await startMltServer(dir, [
        "--backend-store-uri",
        url,
        "--artifacts-destination",
        `${dir}/artifacts`,
        "--pg-pool-size",
        "4",
      ]),
    );
  }
  return servers;
}

Deno.test("postgres: the Python client across three mlt servers on one database", async () => {
  pythonPath();
  const cluster = sharedCluster();
  const url = cluster.url(cluster.createDatabase("clients"));
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "mlt-pg-clients-" }));
  let servers: MltServer[] = [];
  try {
    servers = await startServers(dir, url, 3);
    const out = await runProcess(pythonPath(), [FLOWS, ...servers.map((s) => s.url), dir], {
      cwd: dir,
      env: {
        ...PYTHON_ENV,
        MLFLOW_HTTP_REQUEST_MAX_RETRIES: "0",
        MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT: "true",
      },
    });
    const line = out.stdout.split("\n").find((l) => l.startsWith("MLT_RESULTS "));
    assert.ok(line, `no results from postgres_servers_flows.py:\n${out.stderr}`);
    const results: Record<string, string> = JSON.parse(line.slice("MLT_RESULTS ".length));
    assert.deepEqual(Object.keys(results).sort(), [
      "artifacts_through_any_server",
      "fluent_resume_on_another_server",
      "registry_versions_across_servers",
      "run_across_servers",
    ]);
    for (const [name, result] of Object.entries(results)) assert.equal(result, "ok", name);
    // The rows are in PostgreSQL itself, not in some server's memory.
    assert.equal(
      cluster.psql("SELECT count(*) FROM metrics WHERE key = 'loss'", url.split("/").pop()),
      "500",
    );
  } finally {
    await stopAll(servers);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("postgres: SIGKILL of one server while writers go on: nothing acknowledged is lost", async () => {
  const cluster = sharedCluster();
  const db = cluster.createDatabase("kill");
  const url = cluster.url(db);
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "mlt-pg-kill-" }));
  let servers: MltServer[] = [];
  try {
    servers = await startServers(dir, url, 2);
    const [a, b] = servers;
    const exp = await post(a.url, "experiments/create", { name: "kill" });
    const run = await post(a.url, "runs/create", { experiment_id: exp.json.experiment_id });
    const runId: string = run.json.run.info.run_id;
    const WRITERS = 6, STEPS = 60;
    const acked = new Map<string, number[]>();
    const refusedByB: string[] = [];
    let killed = false;
    let failedOnA = 0;
    // Writers 0, 2, 4 start on A and move to B when A stops answering (as a client behind a
    // load balancer would retry); writers 1, 3, 5 always use B, which must never fail.
    const writer = async (w: number) => {
      const key = `w${w}`;
      acked.set(key, []);
      let base = w % 2 === 0 ? a.url : b.url;
      for (let step = 0; step < STEPS; step++) {
        const body = {
          run_id: runId,
          metrics: [{ key, value: step * 0.5, timestamp: 1_700_000_000_000 + step, step }],
          params: step === 0 ? [{ key: `p${w}`, value: String(w) }] : [],
        };
        for (;;) {
          try {
            const r = await post(base, "runs/log-batch", body);
            if (r.status === 200) break;
            if (base === b.url) refusedByB.push(`${r.status} ${JSON.stringify(r.json)}`);
          } catch {
            // Connection refused or reset: only the killed server may do that.
            assert.ok(base === a.url && killed, `${key} lost ${base} before any kill`);
            failedOnA++;
            base = b.url;
            continue;
          }
          await new Promise((r) => setTimeout(r, 20));
        }
        acked.get(key)!.push(step);
        if (w === 0 && step === STEPS / 3) {
          killed = true;
          a.child.kill("SIGKILL");
        }
      }
    };
    await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
    const status = await a.child.status;
    assert.equal(status.signal, "SIGKILL");
    assert.deepEqual(refusedByB, [], "B refused writes while A died");
    assert.ok(failedOnA >= 1, "some write to A failed after the kill (the test did kill it)");
    // Read every key back through B and through a server started after the kill.
    const [fresh] = await startServers(dir, url, 1);
    servers.push(fresh);
    for (const base of [b.url, fresh.url]) {
      for (const [key, steps] of acked) {
        const res = await fetch(
          `${base}${API}/metrics/get-history?run_id=${runId}&metric_key=${key}&max_results=1000`,
        );
        const body = await res.json();
        const got = (body.metrics as { step: number; value: number }[])
          .map((m) => [m.step, m.value]).sort((x, y) => x[0] - y[0]);
        assert.deepEqual(got, steps.map((s) => [s, s * 0.5]), `${key} through ${base}`);
      }
      const r = await fetch(`${base}${API}/runs/get?run_id=${runId}`);
      const data = (await r.json()).run.data;
      assert.equal(data.params.length, WRITERS);
      assert.deepEqual(
        data.metrics.map((m: { key: string; step: number }) => [m.key, m.step]).sort(),
        [...acked.keys()].map((k) => [k, STEPS - 1]).sort(),
      );
    }
  } finally {
    await stopAll(servers);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("postgres: a run page's live stream on one server shows writes made through another", async () => {
  const cluster = sharedCluster();
  const url = cluster.url(cluster.createDatabase("live"));
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "mlt-pg-live-" }));
  let servers: MltServer[] = [];
  try {
    servers = await startServers(dir, url, 2);
    const [a, b] = servers;
    const exp = (await post(a.url, "experiments/create", { name: "live" })).json.experiment_id;
    const runId = (await post(a.url, "runs/create", { experiment_id: exp })).json.run.info.run_id;
    const point = (step: number) => ({
      run_id: runId,
      metrics: [{ key: "loss", value: 1 / (step + 1), timestamp: 1_700_000_000_000, step }],
    });
    assert.equal((await post(a.url, "runs/log-batch", point(0))).status, 200);
    // The page is served by B; its stream polls the shared database (ui/live.ts).
    const page = await (await fetch(`${b.url}/experiments/${exp}/runs/${runId}`)).text();
    const src = /data-live-run="([^"]+)"/.exec(page)?.[1].replaceAll("&amp;", "&");
    assert.ok(src, "a running run's page subscribes to its stream");
    const res = await fetch(`${b.url}${src}`);
    assert.equal(res.headers.get("content-type"), "text/event-stream; charset=utf-8");
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    assert.equal((await post(a.url, "runs/log-batch", point(1))).status, 200);
    assert.equal(
      (await post(a.url, "runs/update", { run_id: runId, status: "FINISHED" })).status,
      200,
    );
    let buf = "";
    const events: { status: string; metrics: { key: string; points: number }[] }[] = [];
    while (!events.some((e) => e.status === "FINISHED")) {
      const { value, done } = await reader.read();
      assert.ok(!done, `the stream ended before the finish arrived: ${buf}`);
      buf += value;
      for (let i = buf.indexOf("\n\n"); i >= 0; i = buf.indexOf("\n\n")) {
        const chunk = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (chunk.startsWith("data: ")) events.push(JSON.parse(chunk.slice(6)));
      }
    }
    await reader.cancel();
    const loss = events.flatMap((e) => e.metrics).filter((m) => m.key === "loss");
    assert.equal(loss.at(-1)?.points, 2, JSON.stringify(events));
  } finally {
    await stopAll(servers);
    await Deno.remove(dir, { recursive: true });
  }
});

stopClusterTest();
