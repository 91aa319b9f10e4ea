/**
 * Parity of the `mlflow-artifacts` proxy on an S3 destination: the same requests to
 * `mlflow server --artifacts-destination s3://…` (boto3) and to mlt, each on its own prefix of
 * one SeaweedFS bucket; statuses and bodies must match, presigned URLs by their shape.
 */
import assert from "node:assert/strict";
import { startMltServer } from "../helpers/mlt_server.ts";
import { type S3Server, withS3 } from "../helpers/s3.ts";
import { withTempDir } from "../helpers/temp.ts";
import { startMlflow, stopMlflow } from "./mlflow_server.ts";

const A = "/api/2.0/mlflow-artifacts";

interface Answer {
  status: number;
  // deno-lint-ignore no-explicit-any
  body: any;
}

async function send(base: string, method: string, path: string, body?: string | object) {
  const init: RequestInit = { method };
  if (typeof body === "string") init.body = body;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { "content-type": "application/json" };
  }
  const res = await fetch(base + path, init);
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = { text };
  }
  return { status: res.status, body: parsed } as Answer;
}

// A presigned URL reduced to what both servers must agree on: the object's path and the
// query keys (the signature, date and key id differ by nature).
function urlShape(url: string, prefix: string): string {
  const u = new URL(url);
  const keys = [...u.searchParams.keys()].sort().join(",");
  return `${u.pathname.replace(`/${prefix}/`, "/<prefix>/")}?${keys}`;
}

async function settled(s3: S3Server, prefixes: string[], folder: string): Promise<void> {
  for (const prefix of prefixes) {
    for (let i = 0; i < 50; i++) {
      const res = await s3.client.send({
        method: "GET",
        bucket: s3.bucket,
        query: { "list-type": "2", prefix, delimiter: "/" },
      });
      if ((await res.text()).includes(`<Prefix>${prefix}${folder}</Prefix>`)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

Deno.test("mlflow-artifacts on S3: mlt answers as mlflow server does", async () => {
  await withS3(async (s3) => {
    await withTempDir("mlt-s3-parity-", async (dir) => {
      await Deno.mkdir(`${dir}/mlflow`);
      await Deno.mkdir(`${dir}/mlt`);
      const peer = await startMlflow(`${dir}/mlflow`, [
        "--backend-store-uri",
        `sqlite:///${dir}/mlflow/mlflow.db`,
        "--artifacts-destination",
        `s3://${s3.bucket}/peer`,
      ], s3.env);
      const mlt = await startMltServer(`${dir}/mlt`, [
        "--backend-store-uri",
        `sqlite:///${dir}/mlt/mlflow.db`,
        "--artifacts-destination",
        `s3://${s3.bucket}/ours`,
      ], s3.env);
      try {
        const both = async (method: string, path: string, body?: string | object) => {
          const [m, o] = [
            await send(peer.url, method, path, body),
            await send(mlt.url, method, path, body),
          ];
          return { m, o, what: `${method} ${path}` };
        };
        const same = async (method: string, path: string, body?: string | object) => {
          const { m, o, what } = await both(method, path, body);
          assert.deepEqual(o, m, what);
          return o;
        };
        const info = await both("GET", "/api/3.0/mlflow/server-info");
        for (const k of ["multipart_uploads_enabled", "multipart_downloads_enabled"]) {
          assert.equal(info.o.body[k], info.m.body[k], k);
          assert.equal(info.o.body[k], true, k);
        }
        await same("PUT", `${A}/artifacts/p/a.txt`, "hello");
        await same("PUT", `${A}/artifacts/p/sub/b.txt`, "bee");
        await same("PUT", `${A}/artifacts/p/sub/c%20d.txt`, "space");
        // SeaweedFS's filer may list a just-made folder a moment late: wait (bounded) until it
        // lists both servers' folders, so both answers see the same bucket.
        await settled(s3, ["peer/p/", "ours/p/"], "sub/");
        await same("GET", `${A}/artifacts?path=p`);
        await same("GET", `${A}/artifacts?path=p/sub`);
        await same("GET", `${A}/artifacts?path=nothing/here`);
        const file = await same("GET", `${A}/artifacts/p/sub/c%20d.txt`);
        assert.deepEqual(file.body, { text: "space" });
        // A file's listing is empty in both (a prefix with nothing under it).
        await same("GET", `${A}/artifacts?path=p/a.txt`);

        const pre = await both("GET", `${A}/presigned/p/sub/b.txt`);
        assert.equal(pre.o.status, pre.m.status);
        assert.deepEqual(Object.keys(pre.o.body).sort(), Object.keys(pre.m.body).sort());
        assert.equal(pre.o.body.file_size, pre.m.body.file_size);
        assert.deepEqual(pre.o.body.headers, pre.m.body.headers);
        assert.equal(urlShape(pre.o.body.url, "ours"), urlShape(pre.m.body.url, "peer"));
        assert.equal(await (await fetch(pre.o.body.url)).text(), "bee");

        const create = await both("POST", `${A}/mpu/create/p/big`, {
          path: "/somewhere/big.bin",
          num_parts: 3,
        });
        assert.equal(create.o.status, 200);
        assert.equal(create.o.status, create.m.status);
        assert.deepEqual(Object.keys(create.o.body).sort(), Object.keys(create.m.body).sort());
        const shapes = (b: Answer["body"], prefix: string) =>
          // deno-lint-ignore no-explicit-any
          b.credentials.map((c: any) => ({
            part_number: c.part_number,
            headers: c.headers,
            url: urlShape(c.url, prefix),
          }));
        assert.deepEqual(shapes(create.o.body, "ours"), shapes(create.m.body, "peer"));
        for (const [a, prefix] of [[create.m, "peer"], [create.o, "ours"]] as const) {
          const base = a === create.m ? peer.url : mlt.url;
          const abort = await send(base, "POST", `${A}/mpu/abort/p/big`, {
            path: "/somewhere/big.bin",
            upload_id: a.body.upload_id,
          });
          assert.deepEqual(abort, { status: 200, body: {} }, prefix);
        }

        const bad = await both("POST", `${A}/mpu/create/p`, { num_parts: 1 });
        assert.equal(bad.o.status, bad.m.status);
        assert.equal(bad.o.body.error_code, bad.m.body.error_code);
        assert.equal(bad.o.body.message, bad.m.body.message);
        const unsafe = await both("PUT", `${A}/artifacts/..%2fx`, "x");
        assert.equal(unsafe.o.status, unsafe.m.status);
        assert.equal(unsafe.o.body.error_code, unsafe.m.body.error_code);

        await same("DELETE", `${A}/artifacts/p/sub`);
        // Both delete every object under the folder. SeaweedFS then keeps the emptied folder
        // listed for boto3's deletes, while mlt also deletes the folder entries (no-ops on AWS,
        // where an emptied folder is gone for both): mlt's listing is MLflow's without it.
        const after = await both("GET", `${A}/artifacts?path=p`);
        assert.equal(after.o.status, 200);
        assert.equal(after.m.status, 200);
        const peerObjects = await s3.client.send({
          method: "GET",
          bucket: s3.bucket,
          query: { "list-type": "2", prefix: "peer/p/sub/" },
        });
        assert.doesNotMatch(await peerObjects.text(), /<Key>/, "mlflow left objects under p/sub");
        assert.deepEqual(
          after.o.body.files,
          // deno-lint-ignore no-explicit-any
          after.m.body.files.filter((f: any) => !(f.is_dir && f.path === "sub")),
        );
        assert.deepEqual(after.o.body.files.map((f: { path: string }) => f.path), ["a.txt"]);
      } finally {
        mlt.child.kill("SIGTERM");
        await mlt.child.status;
        await mlt.stderr;
        await stopMlflow(peer);
      }
    });
  });
});
