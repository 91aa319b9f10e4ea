/** `mlt artifacts …` through the real CLI: local artifact locations and a server's proxy. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { openStore } from "../src/store/open.ts";
import { errorLine, inTempDir, mlt } from "./helpers/mlt_cli.ts";
import { startRestServer } from "./helpers/rest_server.ts";

async function files(dir: string): Promise<void> {
  await Deno.mkdir(join(dir, "src/plots"), { recursive: true });
  await Deno.writeTextFile(join(dir, "src/model.bin"), "0123456789");
  await Deno.writeTextFile(join(dir, "src/plots/loss.svg"), "<svg/>");
}

/** Logs, lists and downloads artifacts of `runId` through the CLI with `store` flags. */
async function roundTrip(dir: string, runId: string, store: string[], onDisk: string) {
  // `mlt artifacts <args> <store>`, in `cwd` when given.
  const cli = (args: string[], cwd?: string) => mlt(["artifacts", ...args, ...store], { cwd });
  await files(dir);
  const one = await cli(["log-artifact", runId, "-l", "src/model.bin", "-a", "model"], dir);
  assert.equal(one.code, 0, one.stderr);
  assert.match(one.stdout, /Logged 1 file from .*model\.bin to run \w+ under "model"/);
  const many = await cli(["log-artifacts", "--run-id", runId, "--local-dir", join(dir, "src")]);
  assert.equal(many.code, 0, many.stderr);
  assert.match(many.stdout, /Logged 2 files/);
  assert.equal(await Deno.readTextFile(join(onDisk, "model/model.bin")), "0123456789");
  assert.equal(await Deno.readTextFile(join(onDisk, "plots/loss.svg")), "<svg/>");

  const list = await cli(["list", runId]);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /^PATH\s+SIZE\nmodel\/\s*\nmodel\.bin\s+10 B\nplots\/\s*\n$/);
  const sub = await cli(["list", runId, "-a", "plots", "--json"]);
  assert.deepEqual(JSON.parse(sub.stdout), [{ path: "plots/loss.svg", isDir: false, size: 6 }]);

  const dl = await cli(["download", runId, "-d", "out"], dir);
  assert.equal(dl.code, 0, dl.stderr);
  assert.equal(dl.stdout.trim(), join(dir, "out"));
  assert.equal(await Deno.readTextFile(join(dir, "out/model/model.bin")), "0123456789");
  assert.equal(await Deno.readTextFile(join(dir, "out/plots/loss.svg")), "<svg/>");
  const file = await cli(["download", runId, "-a", "plots/loss.svg", "-d", "one"], dir);
  assert.equal(file.stdout.trim(), join(dir, "one/plots/loss.svg"));

  const missing = await cli(["download", runId, "-a", "nope", "-d", "x"], dir);
  assert.equal(missing.code, 1);
  assert.match(errorLine(missing), /^error: No artifact "nope"/);
  const noFile = await cli(["log-artifact", runId, "-l", "absent.txt"], dir);
  assert.equal(noFile.code, 2);
  assert.match(errorLine(noFile), /absent\.txt" does not exist/);
  const dirAsFile = await cli(["log-artifact", runId, "-l", "src"], dir);
  assert.equal(dirAsFile.code, 2);
  const escape = await cli(["log-artifact", runId, "-l", "src/model.bin", "-a", "../up"], dir);
  assert.equal(escape.code, 1);
  assert.match(errorLine(escape), /Invalid artifact path "\.\.\/up"/);
}

Deno.test("mlt artifacts on a file store: log, list, download", async () => {
  await inTempDir(async (dir) => {
    const s = openStore(join(dir, "mlruns"));
    const run = (await s.createRun({})).info;
    await s.close();
    const onDisk = join(dir, "mlruns", "0", run.runId, "artifacts");
    await roundTrip(dir, run.runId, ["--tracking-uri", join(dir, "mlruns")], onDisk);
    const unknown = await mlt([
      "artifacts",
      "list",
      "0123456789abcdef0123456789abcdef",
      "--tracking-uri",
      join(dir, "mlruns"),
    ]);
    assert.equal(unknown.code, 1);
    assert.match(errorLine(unknown), /^error: .*0123456789abcdef0123456789abcdef/);
  });
});

Deno.test("mlt artifacts through a server's mlflow-artifacts proxy", async () => {
  const srv = await startRestServer();
  try {
    await inTempDir(async (dir) => {
      const run = (await srv.store.createRun({})).info;
      assert.match(run.artifactUri, /^mlflow-artifacts:/);
      const onDisk = join(srv.artifacts, "0", run.runId, "artifacts");
      await roundTrip(dir, run.runId, ["--tracking-uri", srv.url], onDisk);
      // An artifact URI instead of a run.
      const byUri = await mlt([
        "artifacts",
        "download",
        "--artifact-uri",
        run.artifactUri,
        "-a",
        "model",
        "-d",
        "byuri",
        "--tracking-uri",
        srv.url,
      ], { cwd: dir });
      assert.equal(byUri.code, 0, byUri.stderr);
      assert.equal(await Deno.readTextFile(join(dir, "byuri/model/model.bin")), "0123456789");
      // The same store opened directly cannot resolve mlflow-artifacts: URIs.
      const local = await mlt([
        "artifacts",
        "list",
        run.runId,
        "--tracking-uri",
        join(srv.dir, "mlruns"),
      ]);
      assert.equal(local.code, 1);
      assert.match(errorLine(local), /need an http\(s\) tracking URI/);
    });
  } finally {
    await srv.close();
  }
});
