import assert from "node:assert/strict";
import { parseExposition, total } from "../../tests/helpers/prometheus.ts";
import type { PoolStats, ReportsPool } from "../store/pool_stats.ts";
import { ServerMetrics } from "./prometheus.ts";

// A pooled store is not in this branch yet: this object stands for one through the optional
// interface, to pin the series names and labels the PostgreSQL store will fill.
class PooledStore implements ReportsPool {
  stats: PoolStats = { max: 10, inUse: 3, idle: 5, waiting: 2 };
  poolStats(): PoolStats {
    return this.stats;
  }
}

Deno.test("store pool use is read at each scrape from stores that report it", async () => {
  const pooled = new PooledStore();
  const metrics = new ServerMetrics({ stores: { tracking: pooled, registry: {} } });
  let samples = parseExposition(await metrics.render());
  assert.equal(total(samples, "mlt_store_pool_max", { store: "tracking" }), 10);
  assert.equal(total(samples, "mlt_store_pool_connections", { state: "in_use" }), 3);
  assert.equal(total(samples, "mlt_store_pool_connections", { state: "idle" }), 5);
  assert.equal(total(samples, "mlt_store_pool_connections", { state: "waiting" }), 2);
  assert.equal(samples.filter((s) => s.labels.store === "registry").length, 0);
  pooled.stats = { max: 10, inUse: 10, idle: 0, waiting: 7 };
  samples = parseExposition(await metrics.render());
  assert.equal(total(samples, "mlt_store_pool_connections", { state: "waiting" }), 7);
});

Deno.test("peers' snapshots are summed into one exposition", async () => {
  const a = new ServerMetrics();
  const b = new ServerMetrics({
    connections: {
      open: 4,
      accepted: 9,
      evicted: 0,
      timedOut: 1,
      refused: 2,
      acceptErrors: 0,
    },
  });
  a.sources.peers = async () => [await b.snapshot()];
  a.sources.connections = {
    open: 1,
    accepted: 3,
    evicted: 0,
    timedOut: 0,
    refused: 0,
    acceptErrors: 0,
  };
  const samples = parseExposition(await a.render());
  assert.equal(total(samples, "mlt_open_connections"), 5);
  assert.equal(total(samples, "mlt_connections_total", { outcome: "accepted" }), 12);
  assert.equal(total(samples, "mlt_connections_total", { outcome: "refused" }), 2);
  assert.equal(total(samples, "mlt_info"), 1, "the version gauge is not summed");
});
