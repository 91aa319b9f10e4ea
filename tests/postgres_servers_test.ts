/**
 * Several `mlt server` processes on one real PostgreSQL database behave as one server; a
 * PostgreSQL that stops and comes back gives 503 TEMPORARILY_UNAVAILABLE meanwhile, then
 * answers again without restarting mlt; a full pool queues with a bound, then 503; the
 * database password never shows in the banner, in errors or on stderr.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { MltError } from "../src/errors.ts";
import { PgStore } from "../src/store/postgres/pg_store.ts";
import { type MltServer, startMltServer } from "./helpers/mlt_server.ts";
import { sharedCluster, stopClusterTest } from "./helpers/postgres.ts";
import { rejectsWith } from "./store_contract.ts";

const PASSWORD = "Sup3rSecretPw";

async function api(
  srv: MltServer,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${srv.url}/api/2.0/mlflow/${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

async function stop(srv: MltServer): Promise<string> {
  try {
    srv.child.kill("SIGTERM");
  } catch { /* already gone */ }
  await srv.child.status;
  return await srv.stderr;
}

Deno.test("postgres: three mlt servers on one database serve as one", async () => {
  const cluster = sharedCluster();
  const url = cluster.url(cluster.createDatabase(), { password: PASSWORD });
  const dir = await Deno.makeTempDir({ prefix: "mlt-pg-servers-" });
  const servers: MltServer[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      servers.push(await startMltServer(dir, ["--backend-store-uri", url, "--pg-pool-size", "3"]));
    }
    const [a, b, c] = servers;
    const exp = await api(a, "experiments/create", { name: "team" });
    assert.equal(exp.status, 200, JSON.stringify(exp.json));
    const created = await api(a, "runs/create", { experiment_id: exp.json.experiment_id });
    const runId = (created.json.run as { info: { run_id: string } }).info.run_id;
    const batch = await api(b, "runs/log-batch", {
      run_id: runId,
      metrics: [{ key: "loss", value: 0.25, timestamp: 5, step: 1 }],
      params: [{ key: "lr", value: "0.01" }],
      tags: [{ key: "who", value: "b" }],
    });
    assert.equal(batch.status, 200, JSON.stringify(batch.json));
    const read = await api(c, `runs/get?run_id=${runId}`);
    const data = (read.json.run as { data: Record<string, { key: string; value: unknown }[]> })
      .data;
    assert.deepEqual(data.params, [{ key: "lr", value: "0.01" }]);
    assert.equal(data.metrics[0].value, 0.25);
    assert.ok(data.tags.some((t) => t.key === "who" && t.value === "b"));
    // The same name from another server is taken.
    const dup = await api(c, "experiments/create", { name: "team" });
    assert.equal(dup.json.error_code, "RESOURCE_ALREADY_EXISTS");
    // Registry versions created through two servers are consecutive.
    await api(a, "registered-models/create", { name: "m" });
    const versions = await Promise.all(
      [a, b, c, a, b, c].map((s) =>
        api(s, "model-versions/create", { name: "m", source: "s3://bucket/model" })
      ),
    );
    const numbers = versions.map((v) => {
      assert.equal(v.status, 200, JSON.stringify(v.json));
      return Number((v.json.model_version as { version: string }).version);
    });
    assert.deepEqual(numbers.sort((x, y) => x - y), [1, 2, 3, 4, 5, 6]);
    for (const s of servers) {
      assert.ok(!s.stdout().includes(PASSWORD), s.stdout());
      assert.match(
        s.stdout(),
        /serving postgresql:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/\S+ \(PostgreSQL/,
      );
    }
  } finally {
    for (const s of servers) assert.ok(!(await stop(s)).includes(PASSWORD));
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("postgres: a stopped database gives 503 until it is back, without restarting mlt", async () => {
  const cluster = sharedCluster();
  const url = cluster.url(cluster.createDatabase(), { password: PASSWORD });
  const dir = await Deno.makeTempDir({ prefix: "mlt-pg-down-" });
  let srv: MltServer | undefined;
  try {
    srv = await startMltServer(dir, ["--backend-store-uri", url]);
    const runId = ((await api(srv, "runs/create", {})).json.run as { info: { run_id: string } })
      .info.run_id;
    cluster.stop();
    for (const path of [`runs/get?run_id=${runId}`, "experiments/search?max_results=5"]) {
      const down = await api(srv, path);
      assert.equal(down.status, 503, JSON.stringify(down.json));
      assert.equal(down.json.error_code, "TEMPORARILY_UNAVAILABLE");
      assert.match(
        String(down.json.message),
        /PostgreSQL database "127\.0\.0\.1:\d+\/\w+" is unavailable/,
      );
      assert.ok(!String(down.json.message).includes(PASSWORD));
    }
    const write = await api(srv, "runs/log-metric", {
      run_id: runId,
      key: "m",
      value: 1,
      timestamp: 1,
      step: 0,
    });
    assert.equal(write.status, 503);
    cluster.start();
    const back = await api(srv, `runs/get?run_id=${runId}`);
    assert.equal(back.status, 200, JSON.stringify(back.json));
    const again = await api(srv, "runs/log-metric", {
      run_id: runId,
      key: "m",
      value: 2,
      timestamp: 2,
      step: 1,
    });
    assert.equal(again.status, 200, JSON.stringify(again.json));
  } finally {
    if (!cluster.running) cluster.start();
    if (srv) assert.ok(!(await stop(srv)).includes(PASSWORD));
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("postgres: an unreachable database at start-up is one clear line, password masked", async () => {
  const cluster = sharedCluster();
  const url = `postgresql://postgres:${PASSWORD}@127.0.0.1:1/nowhere`;
  const dir = await Deno.makeTempDir({ prefix: "mlt-pg-start-" });
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("../main.ts", import.meta.url).pathname,
        "server",
        "--port",
        "0",
        "--backend-store-uri",
        url,
      ],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert.notEqual(out.code, 0);
    assert.match(text, /error: The PostgreSQL database "127\.0\.0\.1:1\/nowhere" is unavailable/);
    assert.ok(!text.includes(PASSWORD), text);
    assert.ok(cluster.running);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("postgres: a full pool queues a bounded number of requests, then answers 503", async () => {
  const cluster = sharedCluster();
  const url = cluster.url(cluster.createDatabase());
  const store = new PgStore(url, { warn: () => {}, poolSize: 1, queueLimit: 2, queueWaitMs: 700 });
  const holder = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const runId = (await store.createRun({})).info.runId;
    let release!: () => void;
    const held = new Promise<void>((r) => release = r);
    const locked = new Promise<void>((ready) => {
      holder.begin(async (tx) => {
        await tx.unsafe("LOCK TABLE runs IN ACCESS EXCLUSIVE MODE");
        ready();
        await held;
      });
    });
    await locked;
    // One request holds the only connection (blocked by the lock), two wait, the fourth is refused.
    const calls = [0, 1, 2, 3].map(() => store.getRun(runId));
    const refused = Promise.allSettled(calls.slice(1));
    await rejectsWith(calls[3], "TEMPORARILY_UNAVAILABLE", "2 requests already wait");
    const [late1, late2] = await refused;
    for (const late of [late1, late2]) {
      assert.equal(late.status, "rejected");
      await rejectsWith(
        Promise.reject((late as PromiseRejectedResult).reason),
        "TEMPORARILY_UNAVAILABLE",
        "no connection was free within 700 ms",
      );
    }
    release();
    assert.equal((await calls[0]).info.runId, runId);
    assert.equal((await store.getRun(runId)).info.runId, runId, "works again afterwards");
  } finally {
    await holder.end();
    await store.close();
  }
});

Deno.test("postgres: errors of a bad database name the database, never the password", async () => {
  const cluster = sharedCluster();
  const store = new PgStore(cluster.url("no_such_db", { password: PASSWORD }), { warn: () => {} });
  try {
    const e = await rejectsWith(store.getExperiment("0"), "INVALID_STATE", "no_such_db");
    assert.ok(e instanceof MltError && !e.message.includes(PASSWORD));
  } finally {
    await store.close();
  }
});

stopClusterTest();
