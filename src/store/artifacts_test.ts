import assert from "node:assert/strict";
import { join } from "node:path";
import { MltError } from "../errors.ts";
import {
  checkArtifactPath,
  localArtifactDir,
  LocalArtifactRepo,
  openArtifactRepo,
} from "./artifacts.ts";

Deno.test("checkArtifactPath() keeps relative POSIX paths and refuses escapes", () => {
  const ok: [string, string][] = [["", ""], [".", ""], ["a/b.txt", "a/b.txt"], ["./a/", "a"]];
  for (const [p, want] of ok) assert.equal(checkArtifactPath(p), want, p);
  for (const p of ["../x", "a/../../x", "/etc/passwd", "a\\b", "a//b", "a\0b", "a/./b"]) {
    assert.throws(() => checkArtifactPath(p), MltError, p);
  }
});

Deno.test("openArtifactRepo() picks local folders, the proxy, and refuses other schemes", () => {
  assert.equal(localArtifactDir("file:///tmp/a%20b"), "/tmp/a b");
  assert.equal(localArtifactDir("s3://bucket/x"), undefined);
  const local = openArtifactRepo("file:///tmp/x/artifacts");
  assert.ok(local instanceof LocalArtifactRepo);
  assert.equal(local.root, "/tmp/x/artifacts");
  assert.throws(
    () => openArtifactRepo("mlflow-artifacts:/1/r/artifacts"),
    /http\(s\) tracking URI/,
  );
  const proxied = openArtifactRepo("mlflow-artifacts:/1/r/artifacts", {
    trackingUri: "http://127.0.0.1:5000",
  });
  assert.equal(proxied.uri, "mlflow-artifacts:/1/r/artifacts");
  assert.throws(() => openArtifactRepo("gs://bucket/x"), /not gs:/);
  assert.throws(() => openArtifactRepo("s3://bucket/x"), /no S3 settings/);
});

Deno.test("LocalArtifactRepo writes through a temp file and lists sorted entries", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mlt-artifacts-" });
  try {
    const repo = new LocalArtifactRepo(dir, dir);
    await repo.write("b/c.txt", new TextEncoder().encode("c"));
    await repo.write("a.txt", new TextEncoder().encode("hello"));
    assert.deepEqual(await repo.list(), [
      { path: "a.txt", isDir: false, size: 5 },
      { path: "b", isDir: true },
    ]);
    assert.deepEqual(await repo.list("missing"), []);
    assert.deepEqual([...Deno.readDirSync(join(dir, "b"))].map((e) => e.name), ["c.txt"]);
    assert.equal(await new Response((await repo.open("b/c.txt")).body).text(), "c");
    await assert.rejects(repo.open("nope"), /No artifact "nope"/);
    await assert.rejects(repo.write("", new Uint8Array()), /without a file name/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
