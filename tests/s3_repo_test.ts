/**
 * The S3 artifact repository against a real S3-compatible server (SeaweedFS with signatures
 * checked): list, open, write, delete, pagination past 1,000 keys, a streamed multipart put,
 * presigned multipart uploads and downloads, and the faults an operator meets.
 */
import assert from "node:assert/strict";
import { MltError } from "../src/errors.ts";
import { S3Client } from "../src/store/s3/s3_client.ts";
import { S3ArtifactRepo } from "../src/store/s3/s3_repo.ts";
import { pendingUploads, withS3 } from "./helpers/s3.ts";

const text = async (repo: S3ArtifactRepo, path: string) =>
  await new Response((await repo.open(path)).body).text();

async function sha256(data: BufferSource): Promise<string> {
  return Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", data)))
    .map((b) => b.toString(16).padStart(2, "0")).join("");
}

// Bytes that differ from part to part, so a misplaced part changes the hash.
function pattern(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  // One reused buffer, as the server's body reader hands them out.
  const buf = new Uint8Array(size);
  for (let at = 0; at < bytes.length; at += size) {
    const n = Math.min(size, bytes.length - at);
    buf.set(bytes.subarray(at, at + n));
    yield buf.subarray(0, n);
  }
}

Deno.test("S3ArtifactRepo against SeaweedFS: files, folders, pagination, streams, faults", async (t) => {
  await withS3(async (s3) => {
    const repo = new S3ArtifactRepo(`s3://${s3.bucket}/exp/run1/artifacts`, s3.client);

    await t.step("write, list, open, delete", async () => {
      await repo.write("a.txt", new TextEncoder().encode("alpha"));
      await repo.write("dir/b.txt", new TextEncoder().encode("beta"));
      await repo.write("dir/sub/c.txt", new TextEncoder().encode("gamma"));
      // A literal % in a name is kept, never decoded a second time.
      await repo.write("a%20b.txt", new TextEncoder().encode("pct"));
      await repo.write("ü ni+code.txt", new TextEncoder().encode("uni"));
      assert.deepEqual(await repo.list(), [
        { path: "a%20b.txt", isDir: false, size: 3 },
        { path: "a.txt", isDir: false, size: 5 },
        { path: "dir", isDir: true },
        { path: "ü ni+code.txt", isDir: false, size: 3 },
      ]);
      assert.deepEqual(await repo.list("dir"), [
        { path: "dir/b.txt", isDir: false, size: 4 },
        { path: "dir/sub", isDir: true },
      ]);
      assert.deepEqual(await repo.list("nothing/here"), []);
      assert.equal(await text(repo, "dir/sub/c.txt"), "gamma");
      assert.equal(await text(repo, "a%20b.txt"), "pct");
      assert.equal(await text(repo, "ü ni+code.txt"), "uni");
      const head = await s3.client.send({
        method: "HEAD",
        bucket: s3.bucket,
        key: "exp/run1/artifacts/a%20b.txt",
      });
      assert.equal(head.status, 200, "the key is the literal name");
      await assert.rejects(repo.open("missing.txt"), (e: MltError) => {
        assert.equal(e.code, "RESOURCE_DOES_NOT_EXIST");
        assert.match(e.message, /Artifact not found: 'missing.txt'/);
        return true;
      });
      // A sibling sharing the name's beginning survives deleting the folder.
      await repo.write("dir.bak", new TextEncoder().encode("keep"));
      await repo.delete("dir");
      assert.deepEqual((await repo.list()).map((e) => e.path), [
        "a%20b.txt",
        "a.txt",
        "dir.bak",
        "ü ni+code.txt",
      ]);
      await repo.delete("a.txt");
      await repo.delete("never-there");
      assert.deepEqual((await repo.list()).map((e) => e.path), [
        "a%20b.txt",
        "dir.bak",
        "ü ni+code.txt",
      ]);
    });

    await t.step("keys only from validated paths", async () => {
      for (const bad of ["../x", "/abs", "a/../../x", "%2e%2e/x", "a\\b", "a/%252e%252e/b"]) {
        await assert.rejects(repo.write(bad, new Uint8Array(1)), /Invalid path/, bad);
        await assert.rejects(repo.open(bad), /Invalid path/, bad);
        await assert.rejects(repo.list(bad), /Invalid path/, bad);
        await assert.rejects(repo.delete(bad), /Invalid path/, bad);
      }
      assert.throws(() => new S3ArtifactRepo("s3://bkt/../x", s3.client), /unsafe path/);
      assert.throws(() => new S3ArtifactRepo("s3://UPPER/x", s3.client), /bucket name/);
    });

    await t.step("listings page past 1,000 keys", async () => {
      const many = new S3ArtifactRepo(`s3://${s3.bucket}/many`, s3.client);
      const names = Array.from({ length: 1105 }, (_, i) => `f${String(i).padStart(5, "0")}.txt`);
      for (let i = 0; i < names.length; i += 32) {
        await Promise.all(
          names.slice(i, i + 32).map((n) => many.write(`d/${n}`, new TextEncoder().encode(n))),
        );
      }
      const listed = await many.list("d");
      assert.equal(listed.length, 1105);
      assert.deepEqual(listed.map((e) => e.path), names.map((n) => `d/${n}`));
      await many.delete("");
      assert.deepEqual(await many.list(), []);
    });

    await t.step("a large streamed put goes in parts and arrives whole", async () => {
      const bytes = pattern(21 * 1024 * 1024 + 123);
      await repo.write("big/blob.bin", chunked(bytes, 64 * 1024));
      const head = await s3.client.send({
        method: "HEAD",
        bucket: s3.bucket,
        key: "exp/run1/artifacts/big/blob.bin",
      });
      assert.equal(Number(head.headers.get("content-length")), bytes.length);
      assert.match(head.headers.get("etag") ?? "", /-3"?$/, "three parts of 8 MiB");
      const got = new Uint8Array(
        await new Response((await repo.open("big/blob.bin")).body).arrayBuffer(),
      );
      assert.equal(await sha256(got), await sha256(bytes as Uint8Array<ArrayBuffer>));
      assert.equal(await pendingUploads(s3), 0);
    });

    await t.step("a stream that fails midway leaves no object and no parts", async () => {
      const bytes = pattern(20 * 1024 * 1024);
      async function* broken() {
        let n = 0;
        for await (const c of chunked(bytes, 1024 * 1024)) {
          if (++n === 18) throw new Error("client went away");
          yield c;
        }
      }
      await assert.rejects(repo.write("broken.bin", broken()), /client went away/);
      assert.deepEqual((await repo.list()).filter((e) => e.path === "broken.bin"), []);
      assert.equal(await pendingUploads(s3), 0);
    });

    await t.step(
      "presigned multipart upload: create, parts, complete; abort drops the parts",
      async () => {
        const part1 = pattern(5 * 1024 * 1024, 7);
        const part2 = pattern(1000, 8);
        const created = await repo.multipart.create("mpu/file.bin", 2);
        assert.equal(created.credentials.length, 2);
        const parts = [];
        for (const [i, body] of [part1, part2].entries()) {
          const c = created.credentials[i];
          assert.equal(c.partNumber, i + 1);
          assert.doesNotMatch(c.url, new RegExp(s3.secretAccessKey));
          const res = await fetch(c.url, { method: "PUT", body: body as Uint8Array<ArrayBuffer> });
          assert.equal(res.status, 200, await res.text());
          parts.push({ partNumber: c.partNumber, etag: res.headers.get("etag")! });
        }
        await repo.multipart.complete("mpu/file.bin", created.uploadId, parts);
        const whole = new Uint8Array(part1.length + part2.length);
        whole.set(part1);
        whole.set(part2, part1.length);
        const got = new Uint8Array(
          await new Response((await repo.open("mpu/file.bin")).body).arrayBuffer(),
        );
        assert.equal(await sha256(got), await sha256(whole));

        const again = await repo.multipart.create("mpu/aborted.bin", 1);
        const put = await fetch(again.credentials[0].url, { method: "PUT", body: "x" });
        await put.body?.cancel();
        assert.equal(await pendingUploads(s3), 1);
        await repo.multipart.abort("mpu/aborted.bin", again.uploadId);
        assert.equal(await pendingUploads(s3), 0);
        assert.deepEqual((await repo.list("mpu")).map((e) => e.path), ["mpu/file.bin"]);
        // A tampered part URL is refused by S3: the signature covers it.
        const other = await repo.multipart.create("mpu/other.bin", 1);
        const forged = other.credentials[0].url.replace("partNumber=1", "partNumber=2");
        assert.equal(
          await fetch(forged, { method: "PUT", body: "x" }).then(async (r) => {
            await r.body?.cancel();
            return r.status;
          }),
          403,
        );
        await repo.multipart.abort("mpu/other.bin", other.uploadId);
      },
    );

    await t.step("presigned download: the file's bytes, as an attachment", async () => {
      const p = await repo.presignDownload("dir.bak", 60);
      assert.equal(p.size, 4);
      const res = await fetch(p.url);
      assert.equal(await res.text(), "keep");
      assert.match(res.headers.get("content-disposition") ?? "", /attachment; filename="dir.bak"/);
      await assert.rejects(repo.presignDownload("nope", 60), /Artifact not found/);
    });

    await t.step("faults: missing bucket, bad credentials, unreachable, 5xx, silence", async () => {
      const missing = new S3ArtifactRepo("s3://no-such-bucket/x", s3.client);
      await assert.rejects(missing.write("a", new Uint8Array(1)), (e: MltError) => {
        assert.equal(e.code, "RESOURCE_DOES_NOT_EXIST");
        assert.match(e.message, /NoSuchBucket/);
        return true;
      });
      await assert.rejects(missing.list(), /NoSuchBucket/);
      const wrong = new S3Client({
        ...s3.config,
        credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: "wrong-secret-value" },
      });
      await assert.rejects(
        new S3ArtifactRepo(`s3://${s3.bucket}/x`, wrong).list(),
        (e: MltError) => {
          assert.equal(e.code, "UNAUTHENTICATED");
          assert.match(e.message, /SignatureDoesNotMatch/);
          assert.ok(!e.message.includes("wrong-secret-value"));
          assert.ok(!e.message.includes(s3.accessKeyId));
          return true;
        },
      );
      const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const port = (closed.addr as Deno.NetAddr).port;
      closed.close();
      const unreachable = new S3Client({ ...s3.config, endpoint: `http://127.0.0.1:${port}` });
      await assert.rejects(
        new S3ArtifactRepo("s3://mlt/x", unreachable).list(),
        (e: MltError) => {
          assert.equal(e.code, "TEMPORARILY_UNAVAILABLE");
          assert.match(e.message, /Cannot reach S3 at http:\/\/127\.0\.0\.1/);
          return true;
        },
      );
      // An endpoint that fails (500, every retry) and one that never answers.
      let calls = 0;
      const ctl = new AbortController();
      const failing = Deno.serve({
        port: 0,
        hostname: "127.0.0.1",
        signal: ctl.signal,
        onListen() {},
      }, (req) => {
        calls++;
        if (new URL(req.url).pathname.includes("silent")) return new Promise(() => {});
        return new Response(
          "<Error><Code>InternalError</Code><Message>We encountered an internal error</Message></Error>",
          { status: 500 },
        );
      });
      const base = `http://127.0.0.1:${failing.addr.port}`;
      try {
        const five = new S3Client({ ...s3.config, endpoint: base });
        await assert.rejects(new S3ArtifactRepo("s3://mlt/x", five).list(), (e: MltError) => {
          assert.equal(e.code, "TEMPORARILY_UNAVAILABLE");
          assert.match(e.message, /InternalError: We encountered an internal error/);
          return true;
        });
        assert.equal(calls, 3, "a failing request is tried three times, not forever");
        const silent = new S3Client({ ...s3.config, endpoint: base, timeoutMs: 500 });
        await assert.rejects(
          new S3ArtifactRepo("s3://mlt/silent", silent).open("x"),
          (e: MltError) => {
            assert.equal(e.code, "DEADLINE_EXCEEDED");
            assert.match(e.message, /did not answer within 0.5 s/);
            return true;
          },
        );
        // A part-sized body takes node's client (s3_node_send.ts): the same answers there.
        const part = new Uint8Array(2 * 1024 * 1024);
        await assert.rejects(
          new S3ArtifactRepo("s3://mlt/x", five).write("p", part),
          (e: MltError) => {
            assert.equal(e.code, "TEMPORARILY_UNAVAILABLE");
            assert.match(e.message, /InternalError/);
            return true;
          },
        );
        await assert.rejects(
          new S3ArtifactRepo("s3://mlt/silent", silent).write("p", part),
          (e: MltError) => {
            assert.equal(e.code, "DEADLINE_EXCEEDED");
            return true;
          },
        );
      } finally {
        ctl.abort();
        await failing.finished;
      }
    });
  });
});
