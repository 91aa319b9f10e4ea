/** `mlt doctor` through the real CLI: a hand-damaged file store, a healthy one, and a server. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { openStore } from "../src/store/open.ts";
import { errorLine, inTempDir, mlt } from "./helpers/mlt_cli.ts";
import { startRestServer } from "./helpers/rest_server.ts";

const exists = (p: string) => Deno.stat(p).then(() => true, () => false);
const HOUR_AGO = new Date(Date.now() - 3600_000);

interface Finding {
  kind: string;
  where: string;
  detail: string;
  fix?: string;
  fixed?: boolean;
}

Deno.test("mlt doctor finds damage, --fix repairs what is safe, the rest stays for a person", async () => {
  await inTempDir(async (dir) => {
    const root = join(dir, "mlruns");
    const s = openStore(root);
    const exp = await s.createExperiment("e");
    const ok = (await s.createRun({ experimentId: exp })).info.runId;
    const broken = (await s.createRun({ experimentId: exp })).info.runId;
    const child = new Deno.Command("true").spawn();
    await child.status;
    const stale = (await s.createRun({
      experimentId: exp,
      tags: [
        { key: "mlt.runner.pid", value: String(child.pid) },
        { key: "mlt.runner.host", value: Deno.hostname() },
      ],
    })).info.runId;
    await s.close();
    // Damage: a broken run meta.yaml, an old and a fresh temp file, orphan folders.
    await Deno.writeTextFile(join(root, exp, broken, "meta.yaml"), "{not: [yaml");
    const oldTmp = join(root, exp, ok, "params", ".mlt-tmp-1a2b3c4d");
    await Deno.mkdir(join(root, exp, ok, "params"), { recursive: true });
    await Deno.writeTextFile(oldTmp, "half");
    await Deno.utime(oldTmp, HOUR_AGO, HOUR_AGO);
    await Deno.writeTextFile(join(root, exp, ".mlt-tmp-fresh000"), "in flight");
    await Deno.mkdir(join(root, "not an experiment"));
    await Deno.writeTextFile(join(root, "not an experiment", "data.csv"), "1,2");
    await Deno.mkdir(join(root, exp, "abandoned"));
    const emptyTmp = join(root, exp, "abandoned", ".mlt-tmp-00000000");
    await Deno.writeTextFile(emptyTmp, "");
    await Deno.utime(emptyTmp, HOUR_AGO, HOUR_AGO);
    await Deno.writeTextFile(join(root, exp, ok, "artifacts.mlt-tmp-x"), ""); // not a temp file name
    await Deno.mkdir(join(root, exp, ok, "artifacts"), { recursive: true });
    await Deno.writeTextFile(join(root, exp, ok, "artifacts", ".mlt-tmp-user"), "user file");

    const env = { MLFLOW_TRACKING_URI: root };
    const check = await mlt(["doctor", "--json"], { env });
    assert.equal(check.code, 3, check.stderr);
    const found: Finding[] = JSON.parse(check.stdout).problems;
    const by = (kind: string) => found.filter((f) => f.kind === kind).map((f) => f.where).sort();
    assert.deepEqual(by("malformed"), [join(exp, broken, "meta.yaml")]);
    assert.deepEqual(by("temp-file"), [join(exp, ok, "params", ".mlt-tmp-1a2b3c4d")]);
    assert.deepEqual(by("orphan"), [join(exp, "abandoned"), "not an experiment"]);
    assert.deepEqual(by("stale-run"), [`run ${stale}`]);
    const fixOf = (where: string) => found.find((f) => f.where === where)?.fix;
    assert.equal(fixOf("not an experiment"), undefined); // holds data: manual
    assert.equal(fixOf(join(exp, "abandoned")), "remove");

    const human = await mlt(["doctor"], { env });
    assert.equal(human.code, 3);
    assert.match(human.stdout, /^PROBLEM\s+WHERE\s+DETAIL\s+FIX/);
    assert.match(human.stdout, /5 problem\(s\) \(run with --fix to fix\)/);

    const unconfirmed = await mlt(["doctor", "--fix"], { env });
    assert.equal(unconfirmed.code, 2);
    assert.match(unconfirmed.stderr, /error: nothing fixed: confirm on a terminal or pass --yes/);
    assert.equal(await exists(oldTmp), true);

    const fixed = await mlt(["doctor", "--fix", "--yes"], { env });
    assert.equal(fixed.code, 3, fixed.stderr); // the malformed meta.yaml and the data folder remain
    assert.match(fixed.stdout, /5 problem\(s\), 3 fixed/);
    assert.equal(await exists(oldTmp), false);
    assert.equal(await exists(join(root, exp, "abandoned")), false);
    assert.equal(await exists(join(root, exp, ".mlt-tmp-fresh000")), true);
    assert.equal(await exists(join(root, exp, ok, "artifacts", ".mlt-tmp-user")), true);
    assert.equal(await exists(join(root, "not an experiment", "data.csv")), true);
    const s2 = openStore(root, { warn: () => {} });
    const st = (await s2.getRun(stale)).info;
    assert.equal(st.status, "FAILED");
    assert.ok(st.endTime);
    await s2.close();

    await Deno.remove(join(root, exp, broken), { recursive: true });
    await Deno.remove(join(root, "not an experiment"), { recursive: true });
    const healthy = await mlt(["doctor"], { env });
    assert.equal(healthy.code, 0, healthy.stdout + healthy.stderr);
    assert.match(healthy.stdout, /no problems found/);
  });
});

Deno.test("mlt doctor: a missing store is an error; a server gets its runs checked", async () => {
  await inTempDir(async (dir) => {
    const r = await mlt(["doctor", "--tracking-uri", join(dir, "nothing-here")]);
    assert.equal(r.code, 1);
    assert.match(errorLine(r), /^error: No file store at ".*nothing-here"/);
    const bad = await mlt(["doctor", "--stale-after", "x", "--tracking-uri", dir]);
    assert.equal(bad.code, 2);
  });
  const srv = await startRestServer();
  try {
    await srv.store.createRun({ startTime: Date.now() - 10 * 86_400_000 });
    const r = await mlt(["doctor", "--tracking-uri", srv.url]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /is not a file store; only its runs were checked/);
    assert.match(r.stdout, /stale-run .* RUNNING, but it has been RUNNING for 10\.0 days/);
    const ok = await mlt(["doctor", "--tracking-uri", srv.url, "--stale-after", "30d"]);
    assert.equal(ok.code, 0, ok.stdout);
  } finally {
    await srv.close();
  }
});
