/**
 * The real MLflow client against `mlt server --artifacts-destination s3://…` on a real
 * S3-compatible server (SeaweedFS with signatures checked): proxied artifacts and logged models,
 * a 200 MB multipart upload through `mpu/*` (whole, and aborted), a run the client logs straight
 * to S3 that mlt then lists, serves and shows in the UI, and the CLI on it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { mlt as runMlt } from "../helpers/mlt_cli.ts";
import { startMltServer } from "../helpers/mlt_server.ts";
import { runProcess } from "../helpers/process.ts";
import { pendingUploads, type S3Server, withS3 } from "../helpers/s3.ts";
import { withTempDir } from "../helpers/temp.ts";
import { PYTHON_ENV, pythonPath, REPO_ROOT } from "./python.ts";

const FLOWS = `${REPO_ROOT}/tests/compat/s3_flows.py`;
const MPU_BYTES = 200 * 1024 * 1024;

// deno-lint-ignore no-explicit-any
type Json = Record<string, any>;

async function flows(args: string[], env: Record<string, string>): Promise<Json> {
  return await withTempDir("mlt-s3-py-", async (work) => {
    const out = await runProcess(pythonPath(), [FLOWS, args[0], work, ...args.slice(1)], {
      cwd: work,
      env: { ...PYTHON_ENV, ...env },
    });
    assert.equal(out.code, 0, out.stderr);
    return JSON.parse(out.stdout.trim().split("\n").pop()!);
  });
}

async function head(s3: S3Server, key: string): Promise<Response> {
  const res = await s3.client.send({ method: "HEAD", bucket: s3.bucket, key, accept: [404] });
  await res.body?.cancel();
  return res;
}

Deno.test("the MLflow client with mlt server --artifacts-destination s3://", async (t) => {
  await withS3(async (s3) => {
    await withTempDir("mlt-s3-srv-", async (dir) => {
      const srv = await startMltServer(dir, [
        "--backend-store-uri",
        `sqlite:///${dir}/mlflow.db`,
        "--artifacts-destination",
        `s3://${s3.bucket}/proxied`,
        "--artifact-root",
        `s3://${s3.bucket}/direct`,
      ], s3.env);
      const get = async (path: string) => await fetch(`${srv.url}${path}`);
      const json = async (path: string) => {
        const res = await get(path);
        const body = await res.json();
        return { status: res.status, body };
      };
      // The client needs no S3 credentials for proxied artifacts: the server holds them.
      const client = { MLFLOW_TRACKING_URI: srv.url };
      try {
        await t.step("server-info advertises multipart uploads and downloads", async () => {
          const info = await json("/api/3.0/mlflow/server-info");
          assert.equal(info.body.multipart_uploads_enabled, true);
          assert.equal(info.body.multipart_downloads_enabled, true);
        });

        await t.step(
          "log_artifact(s), download_artifacts, sklearn log_model + load_model",
          async () => {
            const r = await flows(["proxy"], client);
            assert.deepEqual(r.top, ["single.json", "tree"]);
            assert.deepEqual(r.tree, ["tree/sub/b.csv"]);
            assert.equal(r.downloaded, "alpha");
            assert.ok(Math.abs(r.prediction - 7) < 1e-9, String(r.prediction));
            assert.match(r.artifact_uri, /^mlflow-artifacts:/);
            const rel = r.artifact_uri.replace(/^mlflow-artifacts:\/*/, "");
            assert.equal((await head(s3, `proxied/${rel}/single.json`)).status, 200);
            assert.equal((await head(s3, `proxied/${rel}/tree/sub/b.csv`)).status, 200);
            const list = await json(
              `/api/2.0/mlflow/artifacts/list?run_id=${r.run_id}&path=tree/sub`,
            );
            assert.deepEqual(list.body.files, [{
              path: "tree/sub/b.csv",
              is_dir: false,
              file_size: 8,
            }]);
            const file = await get(`/get-artifact?run_id=${r.run_id}&path=tree/sub/b.csv`);
            assert.equal(await file.text(), "x,y\n1,2\n");
            const models = await json(
              `/api/2.0/mlflow/logged-models/${r.model_id}/artifacts/directories`,
            );
            assert.ok(
              models.body.files.some((f: Json) => f.path === "MLmodel"),
              JSON.stringify(models),
            );
            const mlmodel = await get(
              `/ajax-api/2.0/mlflow/logged-models/${r.model_id}/artifacts/files?artifact_file_path=MLmodel`,
            );
            assert.match(await mlmodel.text(), /sklearn/);
          },
        );

        await t.step(
          "a 200 MB log_artifact goes through mpu/* in 10 MB parts and arrives whole",
          async () => {
            const r = await flows(["mpu"], {
              ...client,
              MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD: "true",
              MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE: String(1024 * 1024),
              MPU_TEST_BYTES: String(MPU_BYTES),
            });
            assert.equal(r.logged, true);
            assert.deepEqual(r.calls, ["create_multipart_upload", "complete_multipart_upload"]);
            const rel = r.artifact_uri.replace(/^mlflow-artifacts:\/*/, "");
            const obj = await head(s3, `proxied/${rel}/data/big.bin`);
            assert.equal(Number(obj.headers.get("content-length")), MPU_BYTES);
            assert.match(obj.headers.get("etag") ?? "", /-20"?$/, "the client's 20 parts");
            assert.equal(r.size, MPU_BYTES);
            assert.equal(r.downloaded_sha256, r.sha256);
            assert.equal(await pendingUploads(s3), 0);
          },
        );

        await t.step(
          "a multipart upload whose part fails is aborted: no parts, no object",
          async () => {
            const r = await flows(["mpu-abort"], {
              ...client,
              MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD: "true",
              MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE: String(1024 * 1024),
              MPU_TEST_BYTES: String(40 * 1024 * 1024),
            });
            assert.equal(r.logged, false);
            assert.match(r.error, /part 3 lost on the way/);
            assert.deepEqual(r.calls, ["create_multipart_upload", "abort_multipart_upload"]);
            const rel = r.artifact_uri.replace(/^mlflow-artifacts:\/*/, "");
            assert.equal((await head(s3, `proxied/${rel}/data/big.bin`)).status, 404);
            assert.equal(await pendingUploads(s3), 0);
          },
        );

        await t.step(
          "a run logged straight to s3:// is listed, served and shown by mlt",
          async () => {
            const r = await flows(["direct", s3.bucket, "direct"], { ...client, ...s3.env });
            assert.match(r.artifact_uri, new RegExp(`^s3://${s3.bucket}/direct/`));
            const list = await json(`/api/2.0/mlflow/artifacts/list?run_id=${r.run_id}`);
            assert.equal(list.status, 200, JSON.stringify(list.body));
            assert.deepEqual(list.body.files.map((f: Json) => f.path), ["conf.json", "notes"]);
            const file = await get(`/get-artifact?run_id=${r.run_id}&path=notes/hello.txt`);
            assert.equal(await file.text(), "straight to S3");
            assert.match(file.headers.get("content-disposition") ?? "", /attachment/);
            const runInfo = await json(`/api/2.0/mlflow/runs/get?run_id=${r.run_id}`);
            const expId = runInfo.body.run.info.experiment_id;
            const page = await get(
              `/experiments/${expId}/runs/${r.run_id}?artifact=notes/hello.txt`,
            );
            const html = await page.text();
            assert.equal(page.status, 200);
            assert.match(html, /<pre>straight to S3<\/pre>/, "the preview");
            const top = await (await get(`/experiments/${expId}/runs/${r.run_id}`)).text();
            assert.match(top, /data-artifact="conf\.json"/, "the listing");
            assert.match(top, /data-artifact="notes" data-dir="1"/, "the listing's folder");

            // The CLI reads and writes it with the same variables the Python client uses.
            const env = { ...s3.env, MLFLOW_TRACKING_URI: srv.url };
            const ls = await runMlt(["artifacts", "list", r.run_id, "--json"], { env, cwd: dir });
            assert.equal(ls.code, 0, ls.stderr);
            assert.deepEqual(JSON.parse(ls.stdout).map((e: Json) => e.path), [
              "conf.json",
              "notes",
            ]);
            await Deno.mkdir(join(dir, "up"));
            await Deno.writeTextFile(join(dir, "up", "extra.txt"), "from the cli");
            const up = await runMlt(
              ["artifacts", "log-artifacts", r.run_id, "-l", join(dir, "up"), "-a", "cli"],
              { env, cwd: dir },
            );
            assert.equal(up.code, 0, up.stderr);
            const down = await runMlt(
              ["artifacts", "download", r.run_id, "-a", "cli", "-d", join(dir, "down")],
              { env, cwd: dir },
            );
            assert.equal(down.code, 0, down.stderr);
            assert.equal(
              await Deno.readTextFile(join(dir, "down", "cli", "extra.txt")),
              "from the cli",
            );
          },
        );

        await t.step(
          "s3:// locations outside the allowed roots are never dereferenced",
          async () => {
            const post = (path: string, body: unknown) =>
              fetch(`${srv.url}/api/2.0/mlflow/${path}`, {
                method: "POST",
                headers: { "content-type": "application/json" },
                body: JSON.stringify(body),
              }).then((r) => r.json());
            const exp = await post("experiments/create", {
              name: "elsewhere",
              artifact_location: `s3://${s3.otherBucket}/elsewhere`,
            });
            const run = await post("runs/create", { experiment_id: exp.experiment_id });
            await s3.client.send({
              method: "PUT",
              bucket: s3.bucket,
              key: `elsewhere/${run.run.info.run_id}/artifacts/secret.txt`,
              body: new TextEncoder().encode("no"),
            });
            const list = await json(`/api/2.0/mlflow/artifacts/list?run_id=${run.run.info.run_id}`);
            assert.equal(list.status, 400);
            assert.match(list.body.message, /not among this server's artifact roots/);
            const file = await json(`/get-artifact?run_id=${run.run.info.run_id}&path=secret.txt`);
            assert.equal(file.status, 400);
          },
        );

        await t.step(
          "mlt gc removes a deleted run's S3 artifacts under the destination",
          async () => {
            const r = await flows(["direct", s3.bucket, "to-purge"], { ...client, ...s3.env });
            const prefix = r.artifact_uri.replace(`s3://${s3.bucket}/`, "");
            assert.equal((await head(s3, `${prefix}/conf.json`)).status, 200);
            const store = `sqlite:///${dir}/mlflow.db`;
            const env = { ...s3.env };
            const del = await runMlt(["runs", "delete", r.run_id, "--tracking-uri", store], {
              env,
              cwd: dir,
            });
            assert.equal(del.code, 0, del.stderr);
            const gc = await runMlt([
              "gc",
              "--tracking-uri",
              store,
              "--run-ids",
              r.run_id,
              "--artifacts-destination",
              `s3://${s3.bucket}/direct`,
              "--yes",
            ], { env, cwd: dir });
            assert.equal(gc.code, 0, gc.stderr);
            assert.equal((await head(s3, `${prefix}/conf.json`)).status, 404);
            assert.equal((await head(s3, `${prefix}/notes/hello.txt`)).status, 404);
          },
        );
      } finally {
        srv.child.kill("SIGTERM");
        await srv.child.status;
        const err = await srv.stderr;
        // Credentials never reach the server's output.
        assert.ok(!err.includes(s3.secretAccessKey), "the secret key is never logged");
      }
    });
  });
});
