// src/posix_path.ts against node:path and node:url on the same inputs: the server's start-up path
// uses the former, the rest of mlt the latter, and both must agree on every path.
import assert from "node:assert/strict";
import * as nodePath from "node:path";
import * as nodeUrl from "node:url";
import * as ours from "../src/posix_path.ts";

// Every path of up to 4 pieces over an alphabet with the cases that differ between naive
// implementations: empty parts, dots, repeated and trailing slashes, and characters URLs escape.
const PIECES = [
  "",
  "a",
  "bc",
  ".",
  "..",
  "/",
  "//",
  "x y",
  "%",
  "#?",
  "\\",
  "é",
  "a.b",
  "...",
  "~",
];
// Every concatenation of up to 3 pieces.
function paths(): string[] {
  let level = [""];
  const all = [""];
  for (let n = 0; n < 3; n++) {
    level = level.flatMap((p) => PIECES.map((piece) => p + piece));
    all.push(...level);
  }
  return all;
}

const CORPUS = [
  ...new Set([
    ...paths(),
    "/",
    "//",
    "///a",
    "//a",
    "/a//b",
    "a//b//",
    "/a/b/../../..",
    "../../x",
    "./a/./b/.",
    "/foo/bar/baz/asdf/quux/..",
    "/home/u/mlruns/0/abc/artifacts",
    // every printable ASCII character, for what file URLs escape
    "/" + Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join(""),
  ]),
];

Deno.test("posix_path: normalize, join, dirname and isAbsolute agree with node:path", () => {
  for (const p of CORPUS) {
    assert.equal(ours.normalize(p), nodePath.normalize(p), `normalize(${JSON.stringify(p)})`);
    assert.equal(ours.dirname(p), nodePath.dirname(p), `dirname(${JSON.stringify(p)})`);
    assert.equal(ours.isAbsolute(p), nodePath.isAbsolute(p), `isAbsolute(${JSON.stringify(p)})`);
    assert.equal(ours.join(p), nodePath.join(p), `join(${JSON.stringify(p)})`);
  }
  assert.equal(ours.join(), nodePath.join());
  assert.equal(ours.sep, nodePath.sep);
});

Deno.test("posix_path: join, resolve and relative of pairs agree with node:path", () => {
  const some = CORPUS.filter((_, i) => i % 7 === 0).concat(["/", "", ".", "..", "/a/b", "a"]);
  for (const a of some) {
    for (const b of some) {
      const what = `(${JSON.stringify(a)}, ${JSON.stringify(b)})`;
      assert.equal(ours.join(a, b), nodePath.join(a, b), `join${what}`);
      assert.equal(ours.resolve(a, b), nodePath.resolve(a, b), `resolve${what}`);
      assert.equal(ours.relative(a, b), nodePath.relative(a, b), `relative${what}`);
    }
    assert.equal(ours.resolve(a), nodePath.resolve(a), `resolve(${JSON.stringify(a)})`);
    assert.equal(ours.join("/r", a, "x"), nodePath.join("/r", a, "x"));
  }
  assert.equal(ours.resolve(), nodePath.resolve());
});

Deno.test("posix_path: file URLs agree with node:url both ways", () => {
  for (const p of CORPUS) {
    const url = ours.pathToFileURL(p);
    assert.equal(url.href, nodeUrl.pathToFileURL(p).href, `pathToFileURL(${JSON.stringify(p)})`);
    assert.equal(ours.fileURLToPath(url.href), nodeUrl.fileURLToPath(url.href));
  }
  for (
    const u of [
      "file:///a%20b/c",
      "file://localhost/x/y",
      "file:///%C3%A9/%25",
      "file:///a/../b/./c",
      "file:///C:/x",
    ]
  ) {
    assert.equal(ours.fileURLToPath(u), nodeUrl.fileURLToPath(u), u);
    assert.equal(ours.fileURLToPath(new URL(u)), nodeUrl.fileURLToPath(new URL(u)), u);
  }
  for (const bad of ["file://host/x", "file:///a%2Fb", "file:///a%2fb", "http://x/y"]) {
    const message = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        assert.ok(e instanceof TypeError, bad);
        return e.message;
      }
      assert.fail(`${bad} was accepted`);
    };
    assert.equal(message(() => ours.fileURLToPath(bad)), message(() => nodeUrl.fileURLToPath(bad)));
  }
  assert.throws(() => ours.fileURLToPath("not a url"), TypeError);
});
