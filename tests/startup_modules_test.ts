/**
 * A started `mlt server` on SQLite has loaded no Node module but `node:sqlite` (docs/startup.md):
 * the first other one (node:path, node:url, node:util, node:timers — which Deno's global
 * setTimeout loads — or the `process` global) sets up Node compatibility, ~5–20 ms of CPU and
 * ~2.5–4 MB at every start; nor the searches' parsers. Deno's debug log names each module it
 * evaluates ("… ES module: ext:deno_node/path/mod.ts …"), so the test reads what a real server
 * process loaded; it also names mlt's modules that must wait for the first request that needs them.
 */
import assert from "node:assert/strict";
import { bundle, installRunFlags } from "../tools/bundle.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

// The modules a process's debug log says it evaluated, in order.
function evaluated(log: string): string[] {
  return [...log.matchAll(/ES module: (\S+?),/g)].map((m) => m[1]);
}

// Modules a started server must not have evaluated before its first request (docs/startup.md).
const LAZY = [
  "src/store/sqlite/sqlite_store.ts",
  "src/store/sqlite/sqlite_reader.ts",
  "src/store/sqlite/sqlite_writer.ts",
  "src/store/sqlite/sqlite_models.ts",
  "src/store/sqlite/sqlite_import.ts",
  "src/store/sqlite/sql.ts",
  "src/store/sqlite/rows.ts",
  "src/store/sqlite/registry_store.ts",
  "src/validate.ts",
  "src/search/filter.ts",
  "src/search/match.ts",
  "src/store/store.ts",
  "src/api/routes.ts",
  "src/api/body.ts",
  // The runner and the CLI's table never load in a server; Prometheus only with its flag.
  "src/runner/env.ts",
  "src/runner/params.ts",
  "src/cli/commands.ts",
  "src/cli/server_metrics.ts",
];

const isNode = (m: string) => m.startsWith("node:") || m.startsWith("ext:deno_node/");

// What `import "node:sqlite"` alone loads: the one Node module a SQLite store needs.
async function sqliteOnly(dir: string): Promise<Set<string>> {
  const file = `${dir}/sqlite_only.ts`;
  await Deno.writeTextFile(file, 'import "node:sqlite";\n');
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-config", "--log-level=debug", file],
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.ok(out.success);
  return new Set(evaluated(new TextDecoder().decode(out.stderr)).filter(isNode));
}

// The modules a `deno run <args> server` on a new SQLite database in `dir` evaluated by the time
// it answered /health.
async function startedServer(dir: string, args: string[]): Promise<string[]> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--log-level=debug",
      ...args,
      "server",
      "--port",
      "0",
      "--backend-store-uri",
      `sqlite:///${dir}/mlflow.db`,
    ],
    cwd: dir,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", MLT_HOME: `${dir}/home` },
  }).spawn();
  const log = new Response(child.stderr).text();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  // The second line (the store banner) comes after listening, once the start is complete.
  while (out.split("\n").length < 3) {
    const { done, value } = await reader.read();
    if (done) break;
    out += value;
  }
  const url = /http:\/\/\S+/.exec(out)?.[0];
  try {
    assert.ok(url, out);
    const res = await fetch(`${url}/health`);
    assert.equal(res.status, 200);
    await res.body?.cancel();
  } finally {
    // SIGKILL: a graceful stop loads more (its grace timer), which is not the idle server.
    child.kill("SIGKILL");
    await child.status;
    await reader.cancel().catch(() => {});
  }
  return evaluated(await log);
}

Deno.test("mlt server on SQLite loads no Node module but node:sqlite before it idles", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mlt-startup-modules-" });
  try {
    const allowed = await sqliteOnly(dir);
    // The log still reads as the test expects (else it would pass on anything).
    assert.ok(allowed.has("ext:deno_node/sqlite.ts"), [...allowed].join(", "));
    const loaded = await startedServer(dir, [MAIN]);
    assert.ok(loaded.some((m) => m.endsWith("/main.ts")), "the debug log names no module");
    assert.ok(loaded.some((m) => m.endsWith("/src/store/sqlite/lazy_sqlite_store.ts")));
    // The store's body, the searches' parsers and SQL, the registry and the API load with their
    // first call (the start banner counts without them).
    const early = LAZY.filter((p) => loaded.some((m) => m.endsWith(`/${p}`)));
    assert.deepEqual(early, [], `loaded before the first request: ${early}`);
    const extra = loaded.filter((m) => isNode(m) && !allowed.has(m));
    assert.deepEqual(extra, [], `Node modules loaded before the first request: ${extra}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the installed bundle: the same lazy parts and no Node module but node:sqlite", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mlt-startup-bundle-" });
  try {
    const allowed = await sqliteOnly(dir);
    await bundle(`${dir}/dist`);
    // As deno.json's install task runs it.
    const install: string = JSON.parse(
      await Deno.readTextFile(new URL("../deno.json", import.meta.url)),
    ).tasks.install;
    const loaded = await startedServer(dir, [...installRunFlags(install), `${dir}/dist/main.js`]);
    assert.ok(loaded.some((m) => m.endsWith("/dist/main.js")), "the debug log names no chunk");
    assert.ok(loaded.some((m) => /\/dist\/lazy_sqlite_store-\w+\.js$/.test(m)));
    // A module behind an import() of the sources is a chunk named after it.
    const chunks = [...Deno.readDirSync(`${dir}/dist`)].map((e) => e.name);
    const lazy = LAZY.map((p) => p.split("/").at(-1)!.replace(/\.ts$/, ""))
      .filter((name) => chunks.some((c) => c.startsWith(`${name}-`)));
    assert.ok(lazy.includes("sqlite_store") && lazy.includes("routes"), lazy.join(", "));
    const early = lazy.filter((name) =>
      loaded.some((m) => new RegExp(`/dist/${name}-\\w+\\.js$`).test(m))
    );
    assert.deepEqual(early, [], `loaded before the first request: ${early}`);
    const extra = loaded.filter((m) => isNode(m) && !allowed.has(m));
    assert.deepEqual(extra, [], `Node modules loaded before the first request: ${extra}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
