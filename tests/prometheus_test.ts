/**
 * `/metrics` of `mlt server --expose-prometheus`, scraped over real sockets from real server
 * processes: counters move with requests, labels stay bounded under random paths, `--auth` guards
 * the endpoint, uploads in flight show, and `--workers` processes report one sum.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { type MltServer, startMltServer } from "./helpers/mlt_server.ts";
import { parseExposition, type Sample, scrape, total } from "./helpers/prometheus.ts";
import { withTempDir } from "./helpers/temp.ts";

const REQUESTS = "mlflow_http_request_total";
const DURATION = "mlflow_http_request_duration_seconds";

async function withServer(
  args: string[],
  fn: (s: MltServer, dir: string) => Promise<void>,
  env: Record<string, string> = {},
): Promise<void> {
  await withTempDir("mlt-prom-", async (dir) => {
    const s = await startMltServer(dir, ["--backend-store-uri", "./mlruns", ...args], env);
    try {
      await fn(s, dir);
    } finally {
      s.child.kill("SIGTERM");
      await s.child.status;
      await s.stderr;
    }
  });
}

async function call(url: string, path: string, init: RequestInit = {}): Promise<number> {
  const res = await fetch(url + path, init);
  await res.body?.cancel();
  return res.status;
}

const post = (body: unknown): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

Deno.test("/metrics counts requests by route pattern and status, with a latency histogram", async () => {
  await withServer(["--expose-prometheus", "prom"], async (s, dir) => {
    assert.ok(existsSync(`${dir}/prom`), "the --expose-prometheus directory is created");
    const create = { method: "POST", route: "/api/2.0/mlflow/experiments/create", status: "200" };
    const before = await scrape(s.url);
    assert.equal(
      await call(s.url, "/api/2.0/mlflow/experiments/create", post({ name: "e1" })),
      200,
    );
    assert.equal(
      await call(s.url, "/api/2.0/mlflow/experiments/create", post({ name: "e2" })),
      200,
    );
    // A duplicate name: MLflow's RESOURCE_ALREADY_EXISTS is a 400.
    assert.equal(
      await call(s.url, "/api/2.0/mlflow/experiments/create", post({ name: "e1" })),
      400,
    );
    assert.equal(await call(s.url, "/api/2.0/mlflow/runs/get?run_id=nope"), 404);
    assert.equal(await call(s.url, "/health"), 200);
    assert.equal(await call(s.url, "/"), 200);
    const after = await scrape(s.url);
    assert.equal(total(after, REQUESTS, { route: "(ui)", status: "200" }), 1);
    assert.equal(total(after, REQUESTS, create) - total(before, REQUESTS, create), 2);
    assert.equal(total(after, REQUESTS, { ...create, status: "400" }), 1);
    assert.equal(total(after, `${DURATION}_count`, create), 2);
    assert.equal(total(after, `${DURATION}_bucket`, { ...create, le: "+Inf" }), 2);
    assert.ok(total(after, `${DURATION}_sum`, create) > 0);
    assert.equal(
      total(after, REQUESTS, { route: "/api/2.0/mlflow/runs/get", status: "404" }),
      1,
      "a run id is never a label: the route pattern is",
    );
    // Like MLflow's exporter, /health, /version and the scrapes themselves are not counted.
    assert.equal(after.filter((x) => x.labels.route === "/health").length, 0);
    assert.equal(after.filter((x) => x.labels.route === "/metrics").length, 0);
    assert.ok(total(after, "mlt_open_connections") >= 1);
    // A fresh connection is one more accepted.
    const accepted = total(after, "mlt_connections_total", { outcome: "accepted" });
    const client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
    const fresh = await scrape(s.url, { client }).finally(() => client.close());
    assert.ok(accepted >= 1);
    assert.equal(total(fresh, "mlt_connections_total", { outcome: "accepted" }), accepted + 1);
    assert.equal(total(after, "mlt_http_requests_in_flight"), 0);
    assert.equal(total(after, "mlt_artifact_uploads_in_flight"), 0);
    assert.equal(total(after, "mlt_info"), 1);
    // The file store has no pool: no pool series rather than made-up zeros.
    assert.equal(total(after, "mlt_store_pool_max"), 0);
  });
});

Deno.test("/metrics is 404 without --expose-prometheus, as in MLflow", async () => {
  await withServer([], async (s) => {
    assert.equal(await call(s.url, "/metrics"), 404);
  });
});

Deno.test("/metrics: 1,000 random paths add a bounded number of series and no path text", async () => {
  await withServer(["--expose-prometheus", "prom"], async (s) => {
    const tokens: string[] = [];
    for (let i = 0; i < 1000; i++) {
      const t = crypto.randomUUID().replaceAll("-", "");
      tokens.push(t);
      const path = [
        `/${t}`,
        `/api/2.0/mlflow/${t}/x`,
        `/api/2.0/mlflow/runs/get?run_id=${t}`,
        `/api/2.0/mlflow-artifacts/artifacts/${t}.txt`,
        `/ajax-api/2.0/mlflow/metrics/get-history?run_id=${t}&metric_key=${t}`,
      ][i % 5];
      const method = ["GET", "POST", "DELETE", "PATCH"][i % 4];
      await call(s.url, path, { method, body: method === "POST" ? "{}" : undefined });
    }
    const res = await fetch(`${s.url}/metrics`);
    const text = await res.text();
    const samples = parseExposition(text);
    const series = new Set(
      samples.filter((x) => x.name === REQUESTS).map((x) => JSON.stringify(x.labels)),
    );
    assert.equal(total(samples, REQUESTS), 1000);
    assert.ok(series.size <= 40, `${series.size} series for 1,000 random paths`);
    const routes = new Set(samples.map((x) => x.labels.route).filter(Boolean));
    assert.ok(routes.size <= 10, [...routes].join(" "));
    for (const t of tokens) assert.ok(!text.includes(t), `path text ${t} leaked into /metrics`);
  });
});

Deno.test("/metrics under --auth basic needs credentials and never shows them", async () => {
  const env = {
    MLT_AUTH_USERS: "alice:alice-pw",
    MLT_AUTH_TOKENS: "scraper:scrape-token-0123456789",
  };
  await withServer(["--auth", "basic", "--expose-prometheus", "prom"], async (s) => {
    assert.equal(await call(s.url, "/metrics"), 401);
    assert.equal(await call(s.url, "/health"), 200);
    assert.equal(await call(s.url, "/api/2.0/mlflow/experiments/search?max_results=1"), 401);
    const basic = { authorization: `Basic ${btoa("alice:alice-pw")}` };
    assert.equal(
      await call(s.url, "/api/2.0/mlflow/experiments/search?max_results=1", {
        headers: basic,
      }),
      200,
    );
    const res = await fetch(`${s.url}/metrics`, {
      headers: { authorization: "Bearer scrape-token-0123456789" },
    });
    const text = await res.text();
    assert.equal(res.status, 200);
    const samples = parseExposition(text);
    assert.equal(total(samples, REQUESTS, { route: "(middleware)", status: "401" }), 1);
    assert.equal(
      total(samples, REQUESTS, { route: "/api/2.0/mlflow/experiments/search", status: "200" }),
      1,
    );
    for (const secret of ["alice", "alice-pw", "scraper", "scrape-token-0123456789"]) {
      assert.ok(!text.includes(secret), `${secret} appears in /metrics`);
    }
  }, env);
});

Deno.test("/metrics shows an artifact upload in flight while its body arrives", async () => {
  await withServer(["--expose-prometheus", "prom"], async (s) => {
    let send!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({ start: (c) => void (send = c) });
    send.enqueue(new TextEncoder().encode("first half, "));
    const upload = fetch(`${s.url}/api/2.0/mlflow-artifacts/artifacts/big/file.txt`, {
      method: "PUT",
      body,
      duplex: "half",
    } as RequestInit);
    let during: Sample[] = [];
    for (let i = 0; i < 100; i++) {
      during = await scrape(s.url);
      if (total(during, "mlt_artifact_uploads_in_flight") === 1) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(total(during, "mlt_artifact_uploads_in_flight"), 1);
    assert.equal(total(during, "mlt_http_requests_in_flight"), 1);
    send.enqueue(new TextEncoder().encode("second half"));
    send.close();
    const res = await upload;
    await res.body?.cancel();
    assert.equal(res.status, 200);
    const after = await scrape(s.url);
    assert.equal(total(after, "mlt_artifact_uploads_in_flight"), 0);
    assert.equal(
      total(after, REQUESTS, {
        method: "PUT",
        route: "/api/2.0/mlflow-artifacts/artifacts/*",
        status: "200",
      }),
      1,
    );
  });
});

Deno.test("/metrics of --workers 2 sums both processes through the shared directory", async () => {
  await withServer(["--workers", "2", "--expose-prometheus", "prom"], async (s, dir) => {
    const n = 40;
    for (let i = 0; i < n; i++) {
      // A fresh connection each time, so SO_REUSEPORT spreads the requests over both processes.
      const client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
      const res = await fetch(`${s.url}/api/2.0/mlflow/experiments/search?max_results=1`, {
        client,
      });
      await res.body?.cancel();
      client.close();
    }
    const files = [...Deno.readDirSync(`${dir}/prom`)].filter((e) => e.name.endsWith(".json"));
    assert.equal(files.length, 2, "one snapshot file per process");
    // Each process writes its counts every second; every scrape, on either process, reaches n.
    const route = { route: "/api/2.0/mlflow/experiments/search", status: "200" };
    const seen: number[] = [];
    const settled = () => seen.length >= 6 && seen.slice(-6).every((x) => x === n);
    for (let i = 0; i < 100 && !settled(); i++) {
      const client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
      const samples = await scrape(s.url, { client }).finally(() => client.close());
      seen.push(total(samples, REQUESTS, route));
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(seen.every((x) => x <= n), `never more than sent: ${seen}`);
    assert.ok(seen.slice(-6).every((x) => x === n), `scrapes settle on ${n}: ${seen}`);
  });
});
