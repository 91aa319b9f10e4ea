import assert from "node:assert/strict";
import { join } from "node:path";
import { writeAtomic } from "./file_io.ts";

Deno.test("writeAtomic, durable or not, replaces the file whole and leaves no temp file", () => {
  const dir = Deno.makeTempDirSync({ prefix: "mlt-io-" });
  try {
    const path = join(dir, "run", "meta.yaml");
    const big = "status: 3\n".repeat(20_000); // more than one write() may take at once
    for (const durable of [false, true]) {
      writeAtomic(path, "status: 1\n", dir, durable);
      assert.equal(Deno.readTextFileSync(path), "status: 1\n");
      writeAtomic(path, big, dir, durable);
      assert.equal(Deno.readTextFileSync(path), big);
      const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
      assert.deepEqual(names, ["run"], `durable=${durable}: ${names}`);
    }
    // A failing write removes its temp file and leaves the old content.
    assert.throws(() => writeAtomic(join(dir, "run"), "x", dir, true));
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["run"]);
    assert.equal(Deno.readTextFileSync(path), big);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
