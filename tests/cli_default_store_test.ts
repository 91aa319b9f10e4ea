/**
 * Every command resolves its store the same way (src/cli/context.ts): `--tracking-uri`, then
 * MLFLOW_TRACKING_URI, then what the folder holds — `./mlruns` with experiment data, else an
 * existing `./mlflow.db`, else mlt's default `./mlruns`. Real CLI processes in real folders.
 */
import assert from "node:assert/strict";
import { resolveTrackingUri } from "../src/cli/context.ts";
import { inTempDir, mlt } from "./helpers/mlt_cli.ts";
import { startMltServer } from "./helpers/mlt_server.ts";

const names = (stdout: string) =>
  (JSON.parse(stdout) as { name: string }[]).map((e) => e.name).sort();

function listing(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

Deno.test("resolveTrackingUri(): the flag, then MLFLOW_TRACKING_URI, then the folder", async () => {
  await inTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/mlflow.db`, "");
    const ctx = (env: Record<string, string>) => ({ env: (k: string) => env[k], cwd: dir });
    assert.deepEqual(resolveTrackingUri(ctx({ MLFLOW_TRACKING_URI: "./x" }), "sqlite:///y.db"), {
      uri: "sqlite:///y.db",
      source: "flag",
    });
    assert.deepEqual(resolveTrackingUri(ctx({ MLFLOW_TRACKING_URI: "./x" })), {
      uri: "./x",
      source: "env",
    });
    assert.deepEqual(resolveTrackingUri(ctx({ MLFLOW_TRACKING_URI: "" })), {
      uri: "sqlite:///mlflow.db",
      source: "mlflow.db",
    });
  });
});

Deno.test("an empty folder: commands list MLflow's Default experiment and write nothing", async () => {
  await inTempDir(async (dir) => {
    const r = await mlt(["experiments", "list", "--json"], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(names(r.stdout), ["Default"]);
    const runs = await mlt(["runs", "list"], { cwd: dir });
    assert.equal(runs.code, 0, runs.stderr);
    assert.deepEqual(listing(dir), [], "read-only commands create no file");
  });
});

Deno.test("a folder with ./mlflow.db: every command opens it, and an artifacts-only mlruns is quiet", async () => {
  await inTempDir(async (dir) => {
    const made = await mlt(["experiments", "create", "in-sqlite"], {
      cwd: dir,
      env: { MLFLOW_TRACKING_URI: "sqlite:///mlflow.db" },
    });
    assert.equal(made.code, 0, made.stderr);
    // MLflow 3's layout: run artifacts under mlruns/<experiment>/<run>/artifacts, no meta.yaml.
    await Deno.mkdir(`${dir}/mlruns/0/${"a".repeat(32)}/artifacts`, { recursive: true });
    const r = await mlt(["experiments", "list", "--json"], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(names(r.stdout), ["Default", "in-sqlite"]);
    assert.equal(r.stderr, "", "no warning about mlruns");
    const doctor = await mlt(["doctor"], { cwd: dir });
    assert.equal(doctor.code, 0, doctor.stderr);
    assert.match(
      doctor.stderr,
      /sqlite:\/\/\/mlflow\.db is not a file store.*artifacts are in \.\/mlruns/,
    );
    // Named explicitly, the artifacts folder opens as a file store: quiet, and doctor says why.
    const asFiles = await mlt(["experiments", "list", "--json", "--tracking-uri", "./mlruns"], {
      cwd: dir,
    });
    assert.equal(asFiles.stderr, "");
    assert.deepEqual(names(asFiles.stdout), []);
    const d2 = await mlt(["doctor", "--tracking-uri", "./mlruns"], { cwd: dir });
    assert.equal(d2.code, 0, d2.stdout + d2.stderr);
    assert.match(d2.stderr, /1 folder\(s\) hold only run artifacts, not experiments: 0/);
    // The environment still wins over the folder.
    const env = await mlt(["experiments", "list", "--json"], {
      cwd: dir,
      env: { MLFLOW_TRACKING_URI: "./other" },
    });
    assert.deepEqual(names(env.stdout), ["Default"]);
  });
});

Deno.test("a file store with data wins over ./mlflow.db, as in MLflow", async () => {
  await inTempDir(async (dir) => {
    const sqlite = { MLFLOW_TRACKING_URI: "sqlite:///mlflow.db" };
    assert.equal((await mlt(["experiments", "create", "db"], { cwd: dir, env: sqlite })).code, 0);
    const files = { MLFLOW_TRACKING_URI: "./mlruns" };
    assert.equal((await mlt(["experiments", "create", "files"], { cwd: dir, env: files })).code, 0);
    const r = await mlt(["experiments", "list", "--json"], { cwd: dir });
    assert.deepEqual(names(r.stdout), ["Default", "files"]);
  });
});

Deno.test("mlt server's banner names the store it serves and warns when it is missing", async () => {
  await inTempDir(async (dir) => {
    const server = await startMltServer(dir, []);
    server.child.kill("SIGTERM");
    await server.child.status;
    const stderr = await server.stderr;
    assert.match(stderr, /warning: \.\/mlruns does not exist yet/);
    assert.deepEqual(listing(dir), [], "serving a missing store creates nothing");
  });
});
