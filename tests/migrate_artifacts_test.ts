/**
 * `mlt migrate --artifacts-to`: a file store with local artifacts (runs and a logged model) into
 * SQLite with a local root, into SQLite with an S3 root (real SeaweedFS), and from there back into
 * a file store in MLflow's own layout; files byte-equal, URIs rewritten, `mlt artifacts list`
 * working on the target, a rerun copying nothing, a missing source file failing with its name,
 * into PostgreSQL (whose 32-bit ids rename a file store's experiment: the layout follows), and `mlflow-artifacts:` sources refused without --from-artifacts-destination.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { FileStore } from "../src/store/file/file_store.ts";
import { SqliteStore } from "../src/store/sqlite/sqlite_store.ts";
import { S3ArtifactRepo } from "../src/store/s3/s3_repo.ts";
import { type CliResult, errorLine, inTempDir, mlt } from "./helpers/mlt_cli.ts";
import { withS3 } from "./helpers/s3.ts";
import { sharedCluster, stopClusterTest } from "./helpers/postgres.ts";
import { openStore } from "../src/store/open.ts";
import { loadRegistryStore } from "../src/store/open_registry.ts";

const quiet = { warn: () => {} };

/** Pseudo-random bytes (deterministic), more than one S3 part is not needed: 3 MB. */
function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

interface Source {
  exp: string;
  runs: string[];
  model: string;
  /** Artifact path → content, per run id and for the model. */
  files: Map<string, Record<string, Uint8Array>>;
}

// A file store: two runs with files (one nested, one large, one with a non-ASCII name), one run
// without any, a logged model with files.
async function fillSource(root: string, location?: string): Promise<Source> {
  const s = new FileStore(root, quiet);
  try {
    const exp = await s.createExperiment("art", location);
    const runs: string[] = [];
    for (const name of ["a", "b", "empty"]) {
      runs.push((await s.createRun({ experimentId: exp, runName: name })).info.runId);
    }
    const logged = await s.createLoggedModel({ experimentId: exp, name: "clf" });
    const model = logged.modelId;
    // A registered version whose source lies in run a's artifacts (MLflow 2's way).
    const reg = await loadRegistryStore(root, quiet, s);
    await reg.createRegisteredModel("reg");
    const uri = (await s.getRun(runs[0])).info.artifactUri;
    await reg.createModelVersion({ name: "reg", source: `${uri}/model`, runId: runs[0] });
    // And one registered from the logged model (MLflow 3's way): its files are the model's.
    await reg.createModelVersion({
      name: "reg",
      source: `models:/${model}`,
      modelId: model,
      storageLocation: logged.artifactLocation,
    });
    await reg.close();
    const files = new Map<string, Record<string, Uint8Array>>([
      [runs[0], {
        "model/MLmodel": new TextEncoder().encode("flavors: {}\n"),
        "data/big.bin": bytes(3_000_000, 1),
        "notes é.txt": new TextEncoder().encode("é"),
      }],
      [runs[1], { "x.txt": new TextEncoder().encode("x") }],
      [model, { "MLmodel": new TextEncoder().encode("m"), "w/weights.bin": bytes(1000, 2) }],
    ]);
    return { exp, runs, model, files };
  } finally {
    await s.close();
  }
}

/** The local folder of a run's or the model's artifacts in MLflow's layout under `root`. */
function dirOf(root: string, exp: string, src: Source): (id: string) => string {
  return (id) =>
    id === src.model
      ? join(root, exp, "models", id, "artifacts")
      : join(root, exp, id, "artifacts");
}

// Writes the source's files where its store says they live (a local folder).
async function writeFiles(dir: (id: string) => string, src: Source): Promise<void> {
  for (const [id, files] of src.files) {
    for (const [path, data] of Object.entries(files)) {
      const abs = join(dir(id), ...path.split("/"));
      await Deno.mkdir(join(abs, ".."), { recursive: true });
      await Deno.writeFile(abs, data);
    }
  }
}

/** A file store at `mlruns` whose files are in its own folders (MLflow's default). */
async function localSource(mlruns: string): Promise<Source> {
  const src = await fillSource(mlruns);
  await writeFiles(dirOf(mlruns, src.exp, src), src);
  return src;
}

const totalFiles = (src: Source) => [...src.files.values()].flatMap(Object.keys).length;

function ok(r: CliResult): void {
  assert.equal(r.code, 0, `exit ${r.code}\n${r.stdout}\n${r.stderr}`);
}

Deno.test("mlt migrate --artifacts-to: file store → SQLite with a local root", async () => {
  await inTempDir(async (dir) => {
    const mlruns = join(dir, "mlruns");
    const src = await localSource(mlruns);
    const local = dirOf(mlruns, src.exp, src);
    const db = `sqlite:///${join(dir, "t.db")}`;
    const root = join(dir, "art");
    const args = ["migrate", "--from", mlruns, "--to", db, "--artifacts-to", root];
    const r1 = await mlt(args, { cwd: dir });
    ok(r1);
    assert.match(
      r1.stdout,
      new RegExp(`${totalFiles(src)} file\\(s\\) \\(3001016 bytes\\) copied`),
    );
    assert.match(r1.stderr, /runs, \d+ file\(s\)/); // progress on stderr
    const base = pathToFileURL(root).href;
    const sql = new SqliteStore(db, quiet);
    try {
      assert.equal((await sql.getExperiment(src.exp)).artifactLocation, `${base}/${src.exp}`);
      for (const id of src.runs) {
        const run = await sql.getRun(id);
        assert.equal(run.info.artifactUri, `${base}/${src.exp}/${id}/artifacts`);
      }
      const model = await sql.getLoggedModel(src.model);
      assert.equal(model.artifactLocation, `${base}/${src.exp}/models/${src.model}/artifacts`);
      const reg = await loadRegistryStore(db, quiet, sql);
      const v = await reg.getModelVersion("reg", 1);
      const fromModel = await reg.getModelVersion("reg", 2);
      const downloadUri = await reg.getModelVersionDownloadUri("reg", 2);
      await reg.close();
      assert.equal(v.source, `${base}/${src.exp}/${src.runs[0]}/artifacts/model`);
      assert.equal(fromModel.source, `models:/${src.model}`);
      assert.equal(downloadUri, model.artifactLocation);
    } finally {
      await sql.close();
    }
    for (const [id, files] of src.files) {
      const at = dirOf(root, src.exp, src)(id);
      for (const [path, data] of Object.entries(files)) {
        assert.deepEqual(await Deno.readFile(join(at, ...path.split("/"))), data, path);
      }
    }
    // The target's artifacts are readable through the usual command.
    const list = await mlt(["artifacts", "list", src.runs[0], "--tracking-uri", db, "--json"], {
      cwd: dir,
    });
    ok(list);
    assert.deepEqual(
      JSON.parse(list.stdout).map((e: { path: string }) => e.path),
      ["data", "model", "notes é.txt"],
    );
    // Once more: every file is there already.
    const r2 = await mlt([...args, "--quiet"], { cwd: dir });
    ok(r2);
    assert.match(r2.stdout, /0 file\(s\) \(0 bytes\) copied, 6 \(3001016 bytes\) already there/);
    assert.equal(r2.stderr, "");
    assert.match(
      r2.stdout,
      /0 run\(s\) copied, 3 already there; 0 logged model\(s\) and 0 registered/,
    );
    // A source file that is listed but gone: exit 1 naming it; the run keeps its source URI.
    await Deno.symlink(join(dir, "nowhere"), join(local(src.runs[1]), "gone.txt"));
    const r3 = await mlt([...args, "--quiet"], { cwd: dir });
    assert.equal(r3.code, 1, r3.stderr);
    assert.match(
      errorLine(r3),
      /^error: could not copy run [0-9a-f]{32}: file:.*\/gone\.txt: no such file$/,
    );
    assert.match(r3.stderr, /1 artifact file\(s\) or folder\(s\) could not be copied/);
    const again = new SqliteStore(db, quiet);
    try {
      const uri = (await again.getRun(src.runs[1])).info.artifactUri;
      assert.equal(uri, pathToFileURL(local(src.runs[1])).href);
      const kept = (await again.getRun(src.runs[0])).info.artifactUri;
      assert.equal(kept, `${base}/${src.exp}/${src.runs[0]}/artifacts`);
    } finally {
      await again.close();
    }
  });
});

Deno.test("mlt migrate --artifacts-to: an S3 root, then back from S3 into a file store", async () => {
  await withS3(async (s3) => {
    await inTempDir(async (dir) => {
      const mlruns = join(dir, "mlruns");
      const src = await localSource(mlruns);
      const db = `sqlite:///${join(dir, "s3.db")}`;
      const root = `s3://${s3.bucket}/migrated`;
      const args = ["migrate", "--from", mlruns, "--to", db, "--artifacts-to", root, "--quiet"];
      const r1 = await mlt(args, { cwd: dir, env: s3.env });
      ok(r1);
      assert.match(r1.stdout, /6 file\(s\) \(3001016 bytes\) copied/);
      for (const [id, files] of src.files) {
        const uri = id === src.model
          ? `${root}/${src.exp}/models/${id}/artifacts`
          : `${root}/${src.exp}/${id}/artifacts`;
        const repo = new S3ArtifactRepo(uri, s3.client);
        for (const [path, data] of Object.entries(files)) {
          const body = (await repo.open(path)).body;
          assert.deepEqual(new Uint8Array(await new Response(body).arrayBuffer()), data, path);
        }
      }
      const list = await mlt(
        ["artifacts", "list", src.runs[0], "-a", "model", "--tracking-uri", db, "--json"],
        { cwd: dir, env: s3.env },
      );
      ok(list);
      assert.deepEqual(JSON.parse(list.stdout), [{
        path: "model/MLmodel",
        isDir: false,
        size: 12,
      }]);
      const r2 = await mlt(args, { cwd: dir, env: s3.env });
      ok(r2);
      assert.match(r2.stdout, /0 file\(s\) \(0 bytes\) copied, 6 \(3001016 bytes\) already there/);
      // S3 → a file store whose root is also the artifact root: MLflow's default layout.
      const back = join(dir, "back");
      const r3 = await mlt(
        ["migrate", "--from", db, "--to", back, "--artifacts-to", back, "--quiet"],
        { cwd: dir, env: s3.env },
      );
      ok(r3);
      assert.match(r3.stdout, /6 file\(s\) \(3001016 bytes\) copied/);
      const big = join(back, src.exp, src.runs[0], "artifacts", "data", "big.bin");
      assert.deepEqual(await Deno.readFile(big), src.files.get(src.runs[0])!["data/big.bin"]);
      const fs = new FileStore(back, quiet);
      try {
        const run = await fs.getRun(src.runs[0]);
        assert.equal(
          run.info.artifactUri,
          `${pathToFileURL(back).href}/${src.exp}/${src.runs[0]}/artifacts`,
        );
      } finally {
        await fs.close();
      }
    });
  });
});

Deno.test("mlt migrate --artifacts-to: mlflow-artifacts: sources need --from-artifacts-destination", async () => {
  await inTempDir(async (dir) => {
    const mlruns = join(dir, "mlruns");
    const src = await fillSource(mlruns, "mlflow-artifacts:/team");
    const dest = join(dir, "server-artifacts");
    // Where a server started with --artifacts-destination <dest> keeps them.
    await writeFiles(
      dirOf(dest, "team", src),
      src,
    );
    const db = `sqlite:///${join(dir, "t.db")}`;
    const args = ["migrate", "--from", mlruns, "--to", db, "--artifacts-to", join(dir, "art")];
    const refused = await mlt([...args, "--quiet"], { cwd: dir });
    assert.equal(refused.code, 1);
    assert.match(
      errorLine(refused),
      /^error: .*mlflow-artifacts:\/team\/.*--from-artifacts-destination/,
    );
    assert.equal(refused.stderr.trim().split("\n").length, 1, refused.stderr);
    // Refused before anything was written.
    const target = new SqliteStore(db, quiet);
    try {
      await assert.rejects(target.getRun(src.runs[0]), /not found|does not exist/i);
    } finally {
      await target.close();
    }
    await assert.rejects(Deno.stat(join(dir, "art")));
    const r = await mlt([...args, "--from-artifacts-destination", dest, "--quiet"], { cwd: dir });
    ok(r);
    assert.match(r.stdout, /6 file\(s\) \(3001016 bytes\) copied/);
    const copied = join(dir, "art", src.exp, src.runs[1], "artifacts", "x.txt");
    assert.equal(await Deno.readTextFile(copied), "x");
    const usage = await mlt([
      "migrate",
      "--from",
      mlruns,
      "--to",
      db,
      "--from-artifacts-destination",
      dest,
    ], { cwd: dir });
    assert.equal(usage.code, 2);
    assert.match(errorLine(usage), /--from-artifacts-destination needs --artifacts-to/);
  });
});

Deno.test("mlt migrate --artifacts-to: into PostgreSQL, the layout follows the target's ids", async () => {
  await inTempDir(async (dir) => {
    const mlruns = join(dir, "mlruns");
    const src = await localSource(mlruns);
    const cluster = sharedCluster();
    const pg = cluster.url(cluster.createDatabase());
    const root = join(dir, "art");
    const r = await mlt([
      "migrate",
      "--from",
      mlruns,
      "--to",
      pg,
      "--artifacts-to",
      root,
      "--quiet",
    ]);
    ok(r);
    assert.match(r.stdout, /6 file\(s\) \(3001016 bytes\) copied/);
    const store = await openStore(pg, quiet);
    try {
      const run = await store.getRun(src.runs[0]);
      const exp = run.info.experimentId;
      assert.notEqual(exp, src.exp); // a file store's 18-digit id does not fit PostgreSQL's column
      const base = pathToFileURL(root).href;
      assert.equal((await store.getExperiment(exp)).artifactLocation, `${base}/${exp}`);
      assert.equal(run.info.artifactUri, `${base}/${exp}/${src.runs[0]}/artifacts`);
      const model = await store.getLoggedModel(src.model);
      assert.equal(model.artifactLocation, `${base}/${exp}/models/${src.model}/artifacts`);
      const w = await Deno.readFile(
        join(root, exp, "models", src.model, "artifacts", "w", "weights.bin"),
      );
      assert.deepEqual(w, src.files.get(src.model)!["w/weights.bin"]);
    } finally {
      await store.close();
    }
  });
});

stopClusterTest();
