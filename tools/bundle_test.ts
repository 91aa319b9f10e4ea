import assert from "node:assert/strict";
import { deferRequire } from "./bundle.ts";

const EAGER = 'import { createRequire as __mk } from "node:module";\n' +
  "var __require = __mk(import.meta.url);\n";

Deno.test("deferRequire: esbuild's eager require is created on its first call instead", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/helpers.js`, `var a = 1;\n${EAGER}export { __require };\n`);
    await Deno.writeTextFile(`${dir}/other.js`, 'import { x } from "./helpers.js";\n');
    assert.equal(await deferRequire(dir), 1);
    const text = await Deno.readTextFile(`${dir}/helpers.js`);
    assert.doesNotMatch(text, /from "node:module"/);
    assert.equal(await Deno.readTextFile(`${dir}/other.js`), 'import { x } from "./helpers.js";\n');
    // The rewritten chunk still gives a working require.
    const { __require } = await import(`file://${dir}/helpers.js`);
    assert.equal(__require("node:path").join("a", "b"), "a/b");
    assert.equal(await deferRequire(dir), 0, "a second pass finds nothing to do");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deferRequire: an import of node:module in another shape fails the build", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/c.js`, 'import { createRequire } from "node:module";\n');
    await assert.rejects(deferRequire(dir), /c\.js still imports node:module/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
