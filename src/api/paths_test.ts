import assert from "node:assert/strict";
import { resolveWithin, validatePath } from "./paths.ts";

Deno.test("validatePath() returns the canonical relative path", () => {
  const ok: [string, string][] = [
    ["a/b.txt", "a/b.txt"],
    ["a//./b", "a/b"],
    ["", ""],
    ["a%20b", "a b"],
    ["a%2520b", "a b"],
    ["dir/", "dir"],
    ["100%.txt", "100%.txt"],
  ];
  for (const [input, expected] of ok) assert.equal(validatePath(input), expected, input);
});

Deno.test("validatePath() refuses every traversal spelling", () => {
  const bad = [
    "../x",
    "a/../b",
    "..",
    "/etc/passwd",
    "%2e%2e%2fx",
    "%252e%252e%252fx",
    "%2%0952e%2%0952e/x",
    "x%00.txt",
    "..\\x",
    "a\\b",
    "C:x",
    "c:/x",
    "\\\\host\\x",
    "file:///etc/passwd",
    "a#/../../x",
    "a;/../../x",
    "%2Fetc",
    "~root",
    "a\u007fb",
    "%ff%fe",
  ];
  for (const p of bad) assert.throws(() => validatePath(p), /Invalid path/, p);
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
