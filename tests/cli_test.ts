import assert from "node:assert/strict";
import denoJson from "../deno.json" with { type: "json" };

const MAIN = new URL("../main.ts", import.meta.url).pathname;

async function mlt(...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("mlt --version prints the version from deno.json", async () => {
  const r = await mlt("--version");
  assert.equal(r.code, 0);
  assert.equal(r.stdout.trim(), denoJson.version);
});

Deno.test("mlt --help lists usage", async () => {
  const r = await mlt("--help");
  assert.equal(r.code, 0);
  assert.match(r.stdout, /Usage: mlt/);
});

Deno.test("mlt with an unknown command or option exits 2 with one error line", async () => {
  for (const args of [["no-such-command"], ["--bogus"]]) {
    const r = await mlt(...args);
    assert.equal(r.code, 2, args.join(" "));
    assert.match(r.stderr, /^error: /);
  }
});
