/**
 * What a newcomer meets on a first run: parameter typos, a folder without an MLproject, `mlt ui -h`,
 * and the link `mlt run` prints to a live `mlt ui` on the same store (never a guessed port).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { mlt } from "./helpers/mlt_cli.ts";
import { mltRun, paramsOf, project, runsIn, tempDir } from "./helpers/mlt_run.ts";
import { startMltServer } from "./helpers/mlt_server.ts";
import { gone } from "./helpers/process.ts";

const HELLO = new URL("../examples/hello", import.meta.url).pathname;

Deno.test("mlt run -P with a typo: an error for a required parameter, a warning otherwise", async () => {
  const dir = await tempDir();
  const typo = await mltRun(dir, [HELLO, "-P", "nme=world"]);
  assert.equal(typo.code, 2, typo.stderr);
  assert.equal(
    typo.stderr.split("\n")[0],
    'error: No value given for missing parameters: "name"; "nme" is not a parameter of entry ' +
      'point "main": did you mean "name"?',
  );
  assert.deepEqual(await runsIn(dir), []);
  // An optional parameter's typo still runs, passed on as MLflow passes undeclared keys.
  const ok = await mltRun(dir, [HELLO, "-P", "name=world", "-P", "greting=Hi"]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(
    ok.stderr,
    /^warning: "greting" is not a parameter of entry point "main" \(did you mean "greeting"\?\); passing it on as --greting, as MLflow does$/m,
  );
  assert.match(ok.stdout, /Hello, world!/);
  const [run] = await runsIn(dir);
  assert.equal(paramsOf(run).greting, "Hi");
});

Deno.test("mlt run on a folder without an MLproject names the scripts it could run", async () => {
  const { dir, proj } = await project({ "train.py": "", "prep.sh": "", "notes.txt": "" });
  const r = await mltRun(dir, [proj]);
  assert.equal(r.code, 1);
  assert.equal(
    r.stderr.trim(),
    `error: Cannot find entry point "main": "${proj}" has no MLproject file; run a script with ` +
      "-e, such as -e train.py (found: train.py, prep.sh)",
  );
  assert.deepEqual(await runsIn(dir), []);
});

Deno.test("mlt ui -h prints help; -h <address> is still --host, as in MLflow", async () => {
  for (const args of [["ui", "-h"], ["server", "-h"], ["ui", "-h", "--port", "5001"]]) {
    const r = await mlt(args);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^Usage: mlt ${args[0]} \\[options\\]`));
    assert.match(r.stdout, /-h alone\s+prints this help/);
  }
  const dir = await tempDir();
  const server = await startMltServer(dir, ["-h", "127.0.0.1"]);
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(await (await fetch(`${server.url}/health`)).text(), "OK");
  } finally {
    server.child.kill("SIGTERM");
    await server.child.status;
  }
});

Deno.test("mlt run links to a live mlt ui on its store, else says how to start one", async () => {
  const dir = await tempDir();
  const home = join(dir, "mlt-home");
  const env = { MLT_HOME: home };
  const runId = (r: { stderr: string }) => /Run ([0-9a-f]{32}) FINISHED/.exec(r.stderr)![1];
  // No UI running: the command to start one, no port.
  const before = await mltRun(dir, [HELLO, "-P", "name=a"], env);
  assert.equal(before.code, 0, before.stderr);
  const id = runId(before);
  assert.match(
    before.stderr,
    new RegExp(
      `Run ${id} FINISHED: to see it, start \`mlt ui\` and open /experiments/0/runs/${id} at ` +
        "the address it prints\n$",
    ),
  );
  assert.doesNotMatch(before.stderr, /:5000/);
  const sqlite = await mltRun(
    dir,
    [HELLO, "-P", "name=a", "--tracking-uri", "sqlite:///x.db"],
    env,
  );
  assert.match(sqlite.stderr, /start `mlt ui --backend-store-uri sqlite:\/\/\/x\.db`/);
  // A state file left by a server that was killed is skipped and removed.
  await Deno.mkdir(join(home, "servers"), { recursive: true });
  const stale = join(home, "servers", "999999999.json");
  await Deno.writeTextFile(
    stale,
    JSON.stringify({ pid: 999999999, url: "http://127.0.0.1:1", store: `file://${dir}/mlruns` }),
  );
  const server = await startMltServer(dir, ["--backend-store-uri", "./mlruns"], env);
  let pid: number;
  try {
    pid = server.child.pid;
    const after = await mltRun(dir, [HELLO, "-P", "name=b"], env);
    assert.equal(after.code, 0, after.stderr);
    const link = `${server.url}/experiments/0/runs/${runId(after)}`;
    assert.match(after.stderr, new RegExp(`FINISHED: ${link.replaceAll(".", "\\.")}\n$`));
    const page = await fetch(link);
    assert.equal(page.status, 200);
    assert.ok((await page.text()).includes(runId(after)));
    assert.deepEqual([...Deno.readDirSync(join(home, "servers"))].map((e) => e.name), [
      `${pid}.json`,
    ]);
    // Another store is not this server's: no link to it.
    const other = await mltRun(dir, [HELLO, "-P", "name=c", "--tracking-uri", "other"], env);
    assert.match(other.stderr, /start `mlt ui --backend-store-uri other`/);
  } finally {
    server.child.kill("SIGTERM");
    await server.child.status;
  }
  assert.ok(await gone(pid));
  // A stopped server removes its record.
  assert.deepEqual([...Deno.readDirSync(join(home, "servers"))], []);
});

Deno.test("a second mlt ui on a busy port says how to pick another", async () => {
  const dir = await tempDir();
  const server = await startMltServer(dir, []);
  try {
    const port = new URL(server.url).port;
    const r = await mlt(["ui", "--port", port], { cwd: dir, env: { MLT_HOME: join(dir, "h") } });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      new RegExp(
        `^error: Cannot listen on 127\\.0\\.0\\.1:${port}: .*\\(another server runs there: pick ` +
          "another port with --port, or --port 0 for a free one\\)\n$",
      ),
    );
  } finally {
    server.child.kill("SIGTERM");
    await server.child.status;
  }
});
