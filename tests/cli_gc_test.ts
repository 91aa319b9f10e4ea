/** `mlt gc` through the real CLI: checks everything first, then deletes runs, experiments, artifacts. */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { openStore } from "../src/store/open.ts";
import type { TrackingStore } from "../src/store/store.ts";
import { errorLine, inTempDir, mlt } from "./helpers/mlt_cli.ts";
import { startRestServer } from "./helpers/rest_server.ts";

const exists = (p: string) => Deno.stat(p).then(() => true, () => false);

/** Experiment A (active) with a deleted run and a live run; experiment B deleted with a run. */
async function seed(dir: string, s: TrackingStore) {
  const a = await s.createExperiment("A");
  const b = await s.createExperiment("B");
  const gone = (await s.createRun({ experimentId: a })).info;
  const live = (await s.createRun({ experimentId: a })).info;
  const inB = (await s.createRun({ experimentId: b })).info;
  for (const r of [gone, live, inB]) {
    const art = join(dir, "mlruns", r.experimentId, r.runId, "artifacts");
    await Deno.mkdir(art, { recursive: true });
    await Deno.writeTextFile(join(art, "f.txt"), "x");
  }
  await s.deleteRun(gone.runId);
  await s.deleteExperiment(b);
  return { a, b, gone: gone.runId, live: live.runId, inB: inB.runId };
}

Deno.test("mlt gc refuses, asks, dry-runs, then deletes deleted runs and experiments", async () => {
  await inTempDir(async (dir) => {
    const s = openStore(join(dir, "mlruns"));
    const ids = await seed(dir, s);
    const env = { MLFLOW_TRACKING_URI: join(dir, "mlruns") };
    const run = (args: string[]) => mlt(["gc", ...args], { cwd: dir, env });
    const stillThere = async () => {
      for (const r of [ids.gone, ids.live, ids.inB]) await s.getRun(r);
      await s.getExperiment(ids.b);
    };

    const notDeleted = await run(["--run-ids", `${ids.gone},${ids.live}`, "--yes"]);
    assert.equal(notDeleted.code, 1);
    assert.match(
      errorLine(notDeleted),
      new RegExp(`^error: Nothing deleted: Run ${ids.live} is not in the deleted lifecycle stage`),
    );
    await stillThere();
    const activeExp = await run(["--experiment-ids", ids.a, "--yes"]);
    assert.equal(activeExp.code, 1);
    assert.match(
      errorLine(activeExp),
      new RegExp(`Experiments \\[${ids.a}\\] are not in the deleted`),
    );
    const unknown = await run(["--run-ids", "0123456789abcdef0123456789abcdef", "--yes"]);
    assert.equal(unknown.code, 1);
    const bad = await run(["--older-than", "2 days"]);
    assert.equal(bad.code, 2);
    assert.match(errorLine(bad), /Could not parse any time information from '2 days'/);

    const unconfirmed = await run([]);
    assert.equal(unconfirmed.code, 2);
    assert.match(
      unconfirmed.stderr,
      /mlt gc will permanently delete 2 run\(s\) and 1 experiment\(s\)/,
    );
    assert.match(unconfirmed.stderr, /error: nothing deleted: confirm on a terminal or pass --yes/);
    await stillThere();

    const dry = await run(["--dry-run", "--json"]);
    assert.equal(dry.code, 0, dry.stderr);
    const plan = JSON.parse(dry.stdout);
    assert.equal(plan.dryRun, true);
    assert.deepEqual(
      plan.runs.map((r: { runId: string }) => r.runId).sort(),
      [ids.gone, ids.inB].sort(),
    );
    assert.deepEqual(plan.experiments, [ids.b]);
    const young = await run(["--older-than", "1d", "--yes"]);
    assert.equal(young.code, 0, young.stderr);
    assert.equal(young.stdout.trim(), "Nothing to delete.");
    await stillThere();

    const done = await run(["--yes"]);
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stdout, new RegExp(`Run with ID ${ids.gone} has been permanently deleted.`));
    assert.match(
      done.stdout,
      new RegExp(`Experiment with ID ${ids.b} has been permanently deleted.`),
    );
    const fresh = openStore(join(dir, "mlruns"));
    await assert.rejects(fresh.getRun(ids.gone), /not found|No run|does not exist/i);
    await assert.rejects(fresh.getExperiment(ids.b));
    assert.equal((await fresh.getRun(ids.live)).info.lifecycleStage, "active");
    assert.equal(await exists(join(dir, "mlruns", ids.a, ids.gone)), false);
    assert.equal(await exists(join(dir, "mlruns", ids.a, ids.live, "artifacts", "f.txt")), true);
    assert.equal((await run(["--yes"])).stdout.trim(), "Nothing to delete.");
    await fresh.close();
    await s.close();
  });
});

Deno.test("mlt gc removes proxied artifacts under --artifacts-destination", async () => {
  await inTempDir(async (dir) => {
    const s = openStore(join(dir, "mlruns"), { artifactRoot: "mlflow-artifacts:/" });
    const exp = await s.createExperiment("proxied");
    const r = (await s.createRun({ experimentId: exp })).info;
    const keep = (await s.createRun({ experimentId: exp })).info;
    for (const x of [r, keep]) {
      const art = join(dir, "dest", exp, x.runId, "artifacts");
      await Deno.mkdir(art, { recursive: true });
      await Deno.writeTextFile(join(art, "f.txt"), "x");
    }
    await s.deleteRun(r.runId);
    const out = await mlt([
      "gc",
      "--backend-store-uri",
      join(dir, "mlruns"),
      "--artifacts-destination",
      "dest",
      "--run-ids",
      r.runId,
      "--yes",
      "--json",
    ], { cwd: dir });
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual(JSON.parse(out.stdout).runs, [{
      runId: r.runId,
      artifacts: join(dir, "dest", exp, r.runId, "artifacts"),
    }]);
    assert.equal(await exists(join(dir, "dest", exp, r.runId)), false);
    assert.equal(await exists(join(dir, "dest", exp, keep.runId, "artifacts", "f.txt")), true);
    await s.close();
  });
});

Deno.test("mlt gc against an http server is refused with one clear line", async () => {
  const srv = await startRestServer();
  try {
    const r = await mlt(["gc", "--tracking-uri", srv.url, "--yes"]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^error: Cannot list deleted runs through the tracking server at .*: MLflow's REST API has no endpoint for it/,
    );
    assert.equal(r.stderr.trim().split("\n").length, 1);
  } finally {
    await srv.close();
  }
});

for (const kind of ["file", "sqlite"] as const) {
  Deno.test(`mlt gc purges deleted logged models and those of purged experiments (${kind})`, async () => {
    await inTempDir(async (dir) => {
      const uri = kind === "file" ? join(dir, "mlruns") : `sqlite:///${join(dir, "mlflow.db")}`;
      const s = openStore(uri, { artifactRoot: join(dir, "art") });
      const a = await s.createExperiment("A");
      const b = await s.createExperiment("B");
      const kept = await s.createLoggedModel({ experimentId: a, name: "kept" });
      const gone = await s.createLoggedModel({ experimentId: a, name: "gone" });
      const inB = await s.createLoggedModel({ experimentId: b, name: "in-b" });
      const folder = (m: { artifactLocation: string }) =>
        m.artifactLocation.replace(/^file:\/\//, "");
      for (const m of [kept, gone, inB]) {
        await Deno.mkdir(folder(m), { recursive: true });
        await Deno.writeTextFile(join(folder(m), "MLmodel"), "x");
      }
      await s.deleteLoggedModel(gone.modelId);
      await s.deleteExperiment(b);
      await s.close();
      const run = (args: string[]) => mlt(["gc", "--tracking-uri", uri, ...args], { cwd: dir });

      const active = await run(["--logged-model-ids", kept.modelId, "--yes"]);
      assert.equal(active.code, 1);
      assert.match(
        errorLine(active),
        new RegExp(`Logged model ${kept.modelId} is not in the deleted lifecycle stage`),
      );
      const dry = await run(["--dry-run", "--json"]);
      assert.equal(dry.code, 0, dry.stderr);
      const plan = JSON.parse(dry.stdout);
      assert.deepEqual(
        plan.loggedModels.map((m: { modelId: string }) => m.modelId),
        [gone.modelId, inB.modelId].sort(),
      );
      assert.equal(
        plan.loggedModels.find((m: { modelId: string }) => m.modelId === gone.modelId).artifacts,
        folder(gone),
      );
      const done = await run(["--yes"]);
      assert.equal(done.code, 0, done.stderr);
      assert.match(
        done.stdout,
        new RegExp(`Logged model with ID ${gone.modelId} has been permanently deleted.`),
      );
      const fresh = openStore(uri);
      try {
        for (const m of [gone, inB]) {
          await assert.rejects(
            fresh.getLoggedModel(m.modelId, { allowDeleted: true }),
            /not found/,
          );
          assert.equal(await exists(dirname(folder(m))), false, `${m.name}'s artifacts`);
        }
        assert.equal((await fresh.getLoggedModel(kept.modelId)).name, "kept");
        assert.equal(await exists(join(folder(kept), "MLmodel")), true);
        assert.deepEqual(await fresh.deletedLoggedModelIds(), []);
      } finally {
        await fresh.close();
      }
    });
  });
}
