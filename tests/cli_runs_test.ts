/** `mlt runs …` through the real CLI, against temp file stores and a real server. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { openStore } from "../src/store/open.ts";
import type { TrackingStore } from "../src/store/store.ts";
import { errorLine, inTempDir, mlt } from "./helpers/mlt_cli.ts";
import { startRestServer } from "./helpers/rest_server.ts";

const DAY = 86_400_000;

async function deadPid(): Promise<number> {
  const child = new Deno.Command("true").spawn();
  await child.status;
  return child.pid;
}

/** Two experiments: finished runs a1 (acc 0.9), a2 (acc 0.5); a stale run; an old run. */
async function seed(s: TrackingStore) {
  const exp = await s.createExperiment("train");
  const other = await s.createExperiment("other");
  const mk = async (
    name: string,
    acc: number | undefined,
    extra: Record<string, string> = {},
    start = Date.now(),
  ) => {
    const tags = Object.entries(extra).map(([key, value]) => ({ key, value }));
    const id =
      (await s.createRun({ experimentId: exp, runName: name, startTime: start, tags })).info.runId;
    if (acc !== undefined) {
      await s.logMetric(id, { key: "acc", value: acc, timestamp: 1, step: 3 });
      await s.logParam(id, { key: "lr", value: String(acc / 10) });
      await s.updateRun({ runId: id, status: "FINISHED", endTime: start + 65_000 });
    }
    return id;
  };
  const a1 = await mk("a1", 0.9, {}, Date.now() - 3000);
  const a2 = await mk("a2", 0.5, {}, Date.now() - 2000);
  const stale = await mk("stale", undefined, {
    "mlt.runner.pid": String(await deadPid()),
    "mlt.runner.host": Deno.hostname(),
  });
  const old = await mk("old", undefined, {}, Date.now() - 30 * DAY);
  const elsewhere = (await s.createRun({ experimentId: other, runName: "o1" })).info.runId;
  return { exp, other, a1, a2, stale, old, elsewhere };
}

Deno.test("mlt runs list: filter, order, experiments and stale RUNNING runs", async () => {
  await inTempDir(async (dir) => {
    const s = openStore(join(dir, "mlruns"));
    const ids = await seed(s);
    await s.close();
    const store = ["--tracking-uri", join(dir, "mlruns")];
    const list = await mlt(["runs", "list", "-x", ids.exp, ...store]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^RUN ID\s+NAME\s+EXPERIMENT\s+STATUS\s+STARTED\s+DURATION/);
    assert.match(
      list.stdout,
      new RegExp(`${ids.a1}\\s+a1\\s+${ids.exp}\\s+FINISHED\\s+\\S+ \\S+\\s+1m 5s`),
    );
    assert.match(
      list.stdout,
      new RegExp(`${ids.stale}\\s+stale\\s+${ids.exp}\\s+RUNNING \\(stale\\)`),
    );
    assert.match(
      list.stderr,
      new RegExp(`stale: run ${ids.stale} is RUNNING but its runner \\(pid \\d+`),
    );
    assert.match(
      list.stderr,
      new RegExp(`stale: run ${ids.old} is RUNNING but it has been RUNNING for 30\\.0 days`),
    );

    const json = async (...args: string[]) => {
      const r = await mlt(["runs", "list", "--json", ...args, ...store]);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout) as { info: { runName: string }; stale: string | null }[];
    };
    const names = async (...args: string[]) => (await json(...args)).map((r) => r.info.runName);
    assert.deepEqual(await names("-x", ids.exp, "--filter", "metrics.acc > 0.6"), ["a1"]);
    assert.deepEqual(
      await names("-n", "train", "--order-by", "metrics.acc ASC", "--filter", "params.lr != ''"),
      [
        "a2",
        "a1",
      ],
    );
    // No experiment named: every experiment.
    assert.equal((await names()).length, 5);
    const all = await names("-x", ids.exp);
    assert.equal(all.length, 4);
    assert.deepEqual(await names("--max-results", "2", "-x", ids.exp), all.slice(0, 2));
    const fresh = await json("-x", ids.exp, "--stale-after", "60d");
    assert.equal(fresh.find((r) => r.info.runName === "old")?.stale, null);
    assert.match(fresh.find((r) => r.info.runName === "stale")?.stale ?? "", /is gone/);
    const env = await mlt(["runs", "list", "--json", ...store], {
      env: { MLFLOW_EXPERIMENT_ID: ids.other },
    });
    assert.deepEqual(
      JSON.parse(env.stdout).map((r: { info: { runName: string } }) => r.info.runName),
      ["o1"],
    );

    const bad = await mlt(["runs", "list", "--filter", "metrics.acc >", ...store]);
    assert.equal(bad.code, 1);
    assert.match(errorLine(bad), /^error: .*filter/i);
    const both = await mlt(["runs", "list", "-x", ids.exp, "-n", "train", ...store]);
    assert.equal(both.code, 2);
    const dur = await mlt(["runs", "list", "--stale-after", "soon", ...store]);
    assert.equal(dur.code, 2);
    assert.match(errorLine(dur), /Could not parse any time information from 'soon'/);
  });
});

Deno.test("mlt runs describe, delete and restore", async () => {
  await inTempDir(async (dir) => {
    const s = openStore(join(dir, "mlruns"));
    const ids = await seed(s);
    const store = ["--tracking-uri", join(dir, "mlruns")];
    const d = await mlt(["runs", "describe", ids.a1, ...store]);
    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stdout, /status\s+FINISHED/);
    assert.match(d.stdout, /params\n\s+KEY\s+VALUE\n\s+lr\s+0\.09/);
    assert.match(d.stdout, /metrics \(latest\)\n\s+KEY\s+VALUE\s+STEP\s+TIME\n\s+acc\s+0\.9\s+3/);
    const j = JSON.parse(
      (await mlt(["runs", "describe", "--run-id", ids.stale, "--json", ...store])).stdout,
    );
    assert.equal(j.info.runId, ids.stale);
    assert.match(j.stale, /is gone/);
    const missing = await mlt(["runs", "describe", "0123456789abcdef0123456789abcdef", ...store]);
    assert.equal(missing.code, 1);
    assert.match(errorLine(missing), /^error: .*0123456789abcdef0123456789abcdef/);
    assert.equal((await mlt(["runs", "describe", ...store])).code, 2);

    // One unknown id: nothing is deleted.
    const bad = await mlt(["runs", "delete", ids.a1, "0123456789abcdef0123456789abcdef", ...store]);
    assert.equal(bad.code, 1);
    assert.equal((await s.getRun(ids.a1)).info.lifecycleStage, "active");
    const del = await mlt(["runs", "delete", ids.a1, "--run-id", ids.a2, ...store]);
    assert.equal(del.code, 0, del.stderr);
    assert.match(del.stdout, new RegExp(`Run with ID ${ids.a2} has been deleted.`));
    assert.equal((await s.getRun(ids.a2)).info.lifecycleStage, "deleted");
    const view = await mlt(["runs", "list", "-x", ids.exp, "--view", "deleted_only", ...store]);
    assert.match(view.stdout, /FINISHED \(deleted\)/);
    const wrong = await mlt(["runs", "restore", ids.a1, ids.stale, ...store]);
    assert.equal(wrong.code, 1);
    assert.match(errorLine(wrong), new RegExp(`Cannot restore run ${ids.stale}: it is active`));
    assert.equal((await s.getRun(ids.a1)).info.lifecycleStage, "deleted");
    const res = await mlt(["runs", "restore", ids.a1, ...store]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal((await s.getRun(ids.a1)).info.lifecycleStage, "active");
    await s.close();
  });
});

Deno.test("mlt runs against an http server", async () => {
  const srv = await startRestServer();
  try {
    const ids = await seed(srv.store);
    const r = await mlt(["runs", "list", "--tracking-uri", srv.url, "-x", ids.exp, "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const runs = JSON.parse(r.stdout) as { info: { runId: string }; stale: string | null }[];
    assert.equal(runs.length, 4);
    assert.match(runs.find((x) => x.info.runId === ids.stale)!.stale!, /is gone/);
    const del = await mlt(["runs", "delete", ids.a1, "--tracking-uri", srv.url]);
    assert.equal(del.code, 0, del.stderr);
    assert.equal((await srv.store.getRun(ids.a1)).info.lifecycleStage, "deleted");
  } finally {
    await srv.close();
  }
});
