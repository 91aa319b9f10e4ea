/**
 * The REST app with an S3 artifacts destination (SeaweedFS, signatures checked): the proxy's
 * routes, multipart and presigned routes, path validation before any key is formed, and the
 * faults an operator meets, answered as MLflow errors without credentials. A local destination
 * keeps answering the multipart routes as MLflow does for one.
 */
import assert from "node:assert/strict";
import type { S3Config } from "../src/store/s3/s3_config.ts";
import { testApp } from "./helpers/api.ts";
import { pendingUploads, type S3Server, withS3 } from "./helpers/s3.ts";

const PROXY = "/api/2.0/mlflow-artifacts";

function mpu(app: { request: (p: string, i?: RequestInit) => Response | Promise<Response> }) {
  return async (kind: string, path: string, body: unknown) =>
    await app.request(`${PROXY}/mpu/${kind}/${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
}

Deno.test("a local destination: multipart routes answer NOT_IMPLEMENTED in MLflow's words", async () => {
  const t = await testApp();
  try {
    const res = await mpu(t.app)("create", "0/r/artifacts", { path: "/tmp/big.bin", num_parts: 2 });
    assert.equal(res.status, 501);
    const body = await res.json();
    assert.equal(body.error_code, "NOT_IMPLEMENTED");
    // The Python client falls back to a plain PUT on exactly this beginning.
    assert.ok(
      body.message.startsWith(
        "Multipart upload is not supported for the current artifact repository",
      ),
    );
    const pre = await t.app.request(`${PROXY}/presigned/0/r/artifacts/a.txt`);
    assert.equal(pre.status, 501);
    assert.match((await pre.json()).message, /Multipart download is not supported/);
    const info = await (await t.app.request("/api/3.0/mlflow/server-info")).json();
    assert.equal(info.multipart_uploads_enabled, false);
    assert.equal(info.multipart_downloads_enabled, false);
  } finally {
    await t.close();
  }
});

async function s3App(s3: S3Server, config: S3Config = s3.config, dest = `s3://${s3.bucket}/dest`) {
  return await testApp({ artifactsDestination: dest, s3: config });
}

Deno.test("an S3 destination: proxy, multipart, presigned, validation and faults", async (t) => {
  await withS3(async (s3) => {
    const a = await s3App(s3);
    const call = mpu(a.app);
    try {
      await t.step("PUT, GET, list, DELETE land under the destination's prefix", async () => {
        const put = await a.app.request(`${PROXY}/artifacts/1/r/artifacts/dir/a%20b.txt`, {
          method: "PUT",
          body: "hello",
        });
        assert.equal(put.status, 200, await put.text());
        const head = await s3.client.send({
          method: "HEAD",
          bucket: s3.bucket,
          key: "dest/1/r/artifacts/dir/a b.txt",
        });
        assert.equal(head.status, 200);
        const get = await a.app.request(`${PROXY}/artifacts/1/r/artifacts/dir/a%20b.txt`);
        assert.equal(await get.text(), "hello");
        assert.equal(get.headers.get("content-length"), "5");
        assert.match(get.headers.get("content-disposition") ?? "", /attachment/);
        const list = await (await a.app.request(`${PROXY}/artifacts?path=1/r/artifacts/dir`))
          .json();
        assert.deepEqual(list, { files: [{ path: "a b.txt", is_dir: false, file_size: 5 }] });
        const del = await a.app.request(`${PROXY}/artifacts/1/r/artifacts/dir`, {
          method: "DELETE",
        });
        assert.equal(del.status, 200);
        const after = await (await a.app.request(`${PROXY}/artifacts?path=1/r/artifacts`)).json();
        assert.deepEqual(after, {});
        const missing = await a.app.request(`${PROXY}/artifacts/1/r/artifacts/nope.txt`);
        assert.equal(missing.status, 404);
        assert.equal((await missing.json()).error_code, "RESOURCE_DOES_NOT_EXIST");
      });

      await t.step("no key is formed from an unsafe path", async () => {
        for (const bad of ["..%2fx", "a/..%2f..%2fx", "a/%252e%252e/b", "%2Fabs", "a%5cb"]) {
          const res = await a.app.request(`${PROXY}/artifacts/${bad}`, {
            method: "PUT",
            body: "x",
          });
          assert.equal(res.status, 400, bad);
          assert.equal((await res.json()).message, "Invalid path");
        }
        const res = await call("create", "1/r/artifacts", { path: "/tmp/..", num_parts: 1 });
        assert.equal(res.status, 400);
        const traversal = await call("create", "1/..%2f..%2fx", { path: "/tmp/f", num_parts: 1 });
        assert.equal(traversal.status, 400);
        const listed = await s3.client.send({
          method: "GET",
          bucket: s3.bucket,
          query: { "list-type": "2" },
        });
        assert.doesNotMatch(await listed.text(), /<Key>x<\/Key>|<Key>abs/);
      });

      await t.step("mpu/create hands out presigned part URLs; complete and abort", async () => {
        const info = await (await a.app.request("/api/3.0/mlflow/server-info")).json();
        assert.equal(info.multipart_uploads_enabled, true);
        assert.equal(info.multipart_downloads_enabled, true);
        const res = await call("create", "1/r/artifacts/data", {
          path: "/local/big.bin",
          num_parts: 2,
        });
        assert.equal(res.status, 200);
        const created = await res.json();
        assert.equal(created.credentials.length, 2);
        assert.deepEqual(created.credentials.map((c: { part_number: number }) => c.part_number), [
          1,
          2,
        ]);
        const text = JSON.stringify(created);
        assert.ok(!text.includes(s3.secretAccessKey), "no secret in the answer");
        assert.ok(created.credentials[0].url.startsWith(`${s3.endpoint}/${s3.bucket}/dest/1/r/`));
        const part1 = new Uint8Array(5 * 1024 * 1024).fill(1);
        const etags = [];
        for (const [i, body] of [part1, new TextEncoder().encode("tail")].entries()) {
          const r = await fetch(created.credentials[i].url, { method: "PUT", body });
          assert.equal(r.status, 200);
          await r.body?.cancel();
          etags.push({ part_number: i + 1, etag: r.headers.get("etag") });
        }
        const done = await call("complete", "1/r/artifacts/data", {
          path: "/local/big.bin",
          upload_id: created.upload_id,
          parts: etags,
        });
        assert.equal(done.status, 200, await done.text());
        const got = await a.app.request(`${PROXY}/artifacts/1/r/artifacts/data/big.bin`);
        assert.equal(Number(got.headers.get("content-length")), part1.length + 4);
        await got.body?.cancel();
        const pre = await (await a.app.request(`${PROXY}/presigned/1/r/artifacts/data/big.bin`))
          .json();
        assert.equal(pre.file_size, part1.length + 4);
        assert.deepEqual(pre.headers, {});
        const ranged = await fetch(pre.url, { headers: { range: "bytes=0-3" } });
        assert.deepEqual(new Uint8Array(await ranged.arrayBuffer()), new Uint8Array([1, 1, 1, 1]));

        const wrong = await call("complete", "1/r/artifacts/data", {
          path: "/local/big.bin",
          upload_id: "no-such-upload",
          parts: etags,
        });
        assert.equal(wrong.status, 404);
        assert.equal((await wrong.json()).error_code, "RESOURCE_DOES_NOT_EXIST");
        const tooMany = await call("create", "1/r/artifacts", { path: "/f", num_parts: 10001 });
        assert.equal(tooMany.status, 400);
        const noPath = await call("create", "1/r/artifacts", { num_parts: 1 });
        assert.equal(noPath.status, 400);
        assert.match((await noPath.json()).message, /Missing value for required parameter 'path'/);
        const again = await (await call("create", "1/r/artifacts", { path: "/f", num_parts: 1 }))
          .json();
        // A part is in before the abort: the abort must drop it with the upload.
        const sentPart = await fetch(again.credentials[0].url, { method: "PUT", body: "part" });
        assert.equal(sentPart.status, 200);
        await sentPart.body?.cancel();
        assert.equal(await pendingUploads(s3), 1);
        const abort = await call("abort", "1/r/artifacts", {
          path: "/f",
          upload_id: again.upload_id,
        });
        assert.equal(abort.status, 200);
        assert.equal(await pendingUploads(s3), 0);
        const parts = await s3.client.send({
          method: "GET",
          bucket: s3.bucket,
          key: "dest/1/r/artifacts/f",
          query: { uploadId: again.upload_id },
          accept: [404],
        });
        assert.equal(parts.status, 404, "no parts listed for the aborted upload");
        await parts.body?.cancel();
      });
    } finally {
      await a.close();
    }

    await t.step("a missing bucket and bad credentials are clear 4xx answers", async () => {
      const nb = await s3App(s3, s3.config, "s3://no-such-bucket/x");
      try {
        const res = await nb.app.request(`${PROXY}/artifacts/a.txt`, { method: "PUT", body: "x" });
        assert.equal(res.status, 404);
        assert.match((await res.json()).message, /NoSuchBucket/);
      } finally {
        await nb.close();
      }
      const secret = "definitely-not-the-secret";
      const bad = await s3App(s3, {
        ...s3.config,
        credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: secret },
      });
      try {
        const res = await bad.app.request(`${PROXY}/artifacts?path=x`);
        assert.equal(res.status, 401);
        const body = await res.text();
        assert.match(body, /SignatureDoesNotMatch/);
        assert.ok(!body.includes(secret) && !body.includes(s3.accessKeyId));
      } finally {
        await bad.close();
      }
    });

    await t.step(
      "an unreachable, failing or silent S3 is a prompt 503/504, never a hang",
      async () => {
        const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
        const port = (closed.addr as Deno.NetAddr).port;
        closed.close();
        const ctl = new AbortController();
        const fake = Deno.serve(
          { port: 0, hostname: "127.0.0.1", signal: ctl.signal, onListen() {} },
          (req) =>
            new URL(req.url).pathname.includes("silent")
              ? new Promise<Response>(() => {})
              : new Response(
                "<Error><Code>ServiceUnavailable</Code><Message>Down</Message></Error>",
                {
                  status: 503,
                },
              ),
        );
        const base = `http://127.0.0.1:${fake.addr.port}`;
        try {
          for (
            const [endpoint, dest, status, pattern] of [
              [
                `http://127.0.0.1:${port}`,
                "s3://mlt/x",
                503,
                /Cannot reach S3 at http:\/\/127\.0\.0\.1/,
              ],
              [base, "s3://mlt/x", 503, /ServiceUnavailable: Down/],
              [base, "s3://mlt/silent", 504, /did not answer within 0.5 s/],
            ] as const
          ) {
            const app = await s3App(s3, { ...s3.config, endpoint, timeoutMs: 500 }, dest);
            try {
              const res = await app.app.request(`${PROXY}/artifacts/a.txt`, {
                method: "PUT",
                body: "x",
              });
              assert.equal(res.status, status);
              const text = await res.text();
              assert.match(text, pattern);
              assert.ok(!text.includes(s3.secretAccessKey));
            } finally {
              await app.close();
            }
          }
        } finally {
          ctl.abort();
          await fake.finished;
        }
      },
    );
  });
});
