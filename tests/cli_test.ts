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

Deno.test("the single-file bundle runs mlt: version, a project and the UI", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mlt-bundle-" });
  try {
    const bundle = `${dir}/mlt.js`;
    const built = await new Deno.Command(Deno.execPath(), {
      args: ["bundle", "--platform", "deno", "-o", bundle, MAIN],
      stdout: "null",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    assert.equal(built.code, 0, new TextDecoder().decode(built.stderr));
    const run = (...args: string[]) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", bundle, ...args],
        cwd: dir,
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      });
    const version = await run("--version").output();
    assert.equal(new TextDecoder().decode(version.stdout).trim(), denoJson.version);
    const hello = new URL("../examples/hello", import.meta.url).pathname;
    const project = await run("run", hello, "-P", "name=bundle").output();
    assert.equal(project.code, 0, new TextDecoder().decode(project.stderr));
    assert.match(new TextDecoder().decode(project.stdout), /Hello, bundle!/);

    const ui = run("ui", "--port", "0").spawn();
    const reader = ui.stdout.pipeThrough(new TextDecoderStream()).getReader();
    try {
      let seen = "";
      let url: string | undefined;
      while (!url) {
        const { value, done } = await reader.read();
        if (done) break;
        seen += value;
        url = /http:\/\/127\.0\.0\.1:\d+/.exec(seen)?.[0];
      }
      assert.ok(url, `no URL in: ${seen}`);
      const page = await fetch(`${url}/`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /Default/);
    } finally {
      ui.kill("SIGTERM");
      await ui.status;
      await reader.cancel();
      await ui.stderr.cancel();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
