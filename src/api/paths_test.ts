import assert from "node:assert/strict";
import { resolveWithin, validatePath } from "./paths.ts";

Deno.test("validatePath() decodes exactly as often as told and returns the canonical path", () => {
  const ok: [string, 0 | 1, string][] = [
    ["a/b.txt", 1, "a/b.txt"],
    ["a//./b", 1, "a/b"],
    ["", 1, ""],
    ["dir/", 1, "dir"],
    // A raw URL path: one decode.
    ["a%20b", 1, "a b"],
    ["a%2520b", 1, "a%20b"],
    ["100%.txt", 1, "100%.txt"],
    ["100%25.txt", 1, "100%.txt"],
    // A value that arrived decoded (query parameter, JSON, file name): kept as it is.
    ["a%20b.txt", 0, "a%20b.txt"],
    ["100%.txt", 0, "100%.txt"],
    ["50%25.txt", 0, "50%25.txt"],
    ["x%2Fy.txt", 0, "x%2Fy.txt"],
    ["%ff%fe", 0, "%ff%fe"],
    ["日本/ü%C3%BC", 0, "日本/ü%C3%BC"],
  ];
  for (const [input, decodes, expected] of ok) {
    assert.equal(validatePath(input, decodes), expected, `${input} (${decodes})`);
  }
});

Deno.test("validatePath() refuses every traversal spelling, however often it is decoded", () => {
  const bad = [
    "../x",
    "a/../b",
    "..",
    "/etc/passwd",
    "%2e%2e%2fx",
    "%252e%252e%252fx",
    "%25252e%25252e/x",
    "%2%0952e%2%0952e/x",
    "x%00.txt",
    "x%2500.txt",
    "..\\x",
    "a\\b",
    "a%5Cb",
    "C:x",
    "c:/x",
    "\\\\host\\x",
    "file:///etc/passwd",
    "a#/../../x",
    "a%23x",
    "a;/../../x",
    "%2Fetc",
    "%252Fetc",
    "~root",
    "a\u007fb",
  ];
  for (const p of bad) {
    for (const decodes of [0, 1] as const) {
      assert.throws(() => validatePath(p, decodes), /Invalid path/, `${p} (${decodes})`);
    }
  }
  assert.throws(() => validatePath("%ff%fe", 1), /Invalid path/, "not UTF-8 once decoded");
});

Deno.test("resolveWithin() follows links only inside the root", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir());
  try {
    await Deno.mkdir(`${dir}/root/real`, { recursive: true });
    await Deno.symlink(`${dir}/root/real`, `${dir}/root/inner`);
    await Deno.symlink(dir, `${dir}/root/outer`);
    assert.equal(await resolveWithin(`${dir}/root`, "inner/f"), `${dir}/root/real/f`);
    assert.equal(await resolveWithin(`${dir}/root`, "new/deep/f"), `${dir}/root/new/deep/f`);
    await assert.rejects(resolveWithin(`${dir}/root`, "outer/x"), /Invalid path/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
