/**
 * `mlt server` as a process: its command line (parsed without commander, help from commander),
 * and `--workers`, several processes on one port through SO_REUSEPORT.
 */
import assert from "node:assert/strict";
import { mlt } from "./helpers/mlt_cli.ts";
import { startMltServer } from "./helpers/mlt_server.ts";
import { alive, gone } from "./helpers/process.ts";
import { parseServerArgs, SERVER_OPTIONS } from "../src/cli/server_options.ts";

Deno.test("mlt server: options parse in their long, short, = and repeated forms", () => {
  const o = parseServerArgs([
    "--port=5001",
    "-h",
    "0.0.0.0",
    "-w2",
    "--artifact-root",
    "a",
    "--artifact-root=/b",
    "--artifacts-only",
    "--backend-store-uri=sqlite:///x.db?a=b",
    "--x-frame-options=",
    "--idle-timeout",
    "1.5",
    "--",
  ]);
  assert.deepEqual(o, {
    host: "0.0.0.0",
    port: 5001,
    "backend-store-uri": "sqlite:///x.db?a=b",
    "artifact-root": ["a", "/b"],
    "artifacts-only": true,
    "x-frame-options": "",
    workers: 2,
    "idle-timeout": 1500,
  });
  // The last of a repeated single-valued option wins; a value may start with "-" after "=".
  assert.equal(parseServerArgs(["-p", "1", "--port", "2"]).port, 2);
  assert.equal(parseServerArgs(["--host=-x"]).host, "-x");
  for (
    const [args, message] of [
      [["--artifacts-only=yes"], /option '--artifacts-only' does not take an argument/],
      [["--host", "--port", "1"], /option '-h, --host <host>' argument missing/],
      [["-x"], /unknown option '-x'/],
      [["--", "extra"], /unexpected argument 'extra'/],
      [["-"], /unexpected argument '-'/],
    ] as const
  ) assert.throws(() => parseServerArgs([...args]), message, args.join(" "));
});

Deno.test("mlt server: a bad command line exits 2 with one error and the help hint", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mlt-srv-cli-" });
  try {
    const cases: [string[], RegExp, Record<string, string>?][] = [
      [["server", "--port", "abc"], /'-p, --port <port>' argument 'abc' is invalid/],
      [["server", "--port", "70000"], /expected a port number from 0 to 65535/],
      [["ui", "--bogus"], /unknown option '--bogus'$/],
      [["server", "--prot", "5001"], /unknown option '--prot' \(did you mean --port\?\)$/],
      [
        ["ui", "--backend-stor-uri=x"],
        /'--backend-stor-uri' \(did you mean --backend-store-uri\?\)/,
      ],
      [["server", "extra"], /unexpected argument 'extra'/],
      [["server", "--auth", "magic"], /Allowed choices are none, basic/],
      [["server", "--workers", "0"], /expected a positive integer/],
      [["server", "--static-prefix", "nope"], /must start with '\/'/],
      [["server", "--port"], /argument missing/],
      [["server"], /MLFLOW_PORT="x" is invalid/, { MLFLOW_PORT: "x" }],
    ];
    for (const [args, message, env] of cases) {
      const r = await mlt(args, { cwd: dir, env });
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      const lines = r.stderr.trimEnd().split("\n");
      assert.equal(lines.length, 2, r.stderr);
      assert.match(lines[0], /^error: /);
      assert.match(lines[0], message);
      assert.equal(lines[1], "(run with --help for usage)");
    }
    // Nothing was created by a refused command line.
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mlt server --help lists every option of the one option table", async () => {
  for (const name of ["server", "ui"]) {
    const r = await mlt([name, "--help"]);
    assert.equal(r.code, 0);
    for (const o of SERVER_OPTIONS) assert.ok(r.stdout.includes(`--${o.long}`), o.long);
  }
});

// Process ids of `pid`'s children (every thread's).
function children(pid: number): number[] {
  const out: number[] = [];
  for (const t of Deno.readDirSync(`/proc/${pid}/task`)) {
    const text = Deno.readTextFileSync(`/proc/${pid}/task/${t.name}/children`).trim();
    if (text) out.push(...text.split(/\s+/).map(Number));
  }
  return out;
}

// Open sockets of a process.
function sockets(pid: number): number {
  let n = 0;
  for (const fd of Deno.readDirSync(`/proc/${pid}/fd`)) {
    try {
      if (Deno.readLinkSync(`/proc/${pid}/fd/${fd.name}`).startsWith("socket:")) n++;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}

async function waitFor<T>(what: string, f: () => T | undefined, withinMs = 15_000): Promise<T> {
  for (const end = Date.now() + withinMs; Date.now() < end;) {
    const v = f();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

// One GET on a fresh connection left open, so the process that accepted it keeps its socket.
async function heldConnection(port: number): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(
    new TextEncoder().encode(`GET /health HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`),
  );
  const buf = new Uint8Array(512);
  const n = await conn.read(buf);
  assert.match(new TextDecoder().decode(buf.subarray(0, n ?? 0)), /^HTTP\/1\.1 200/);
  return conn;
}

Deno.test("mlt server --workers 2: two processes share the port, data and shutdown", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mlt-srv-workers-" });
  // The copies run with the V8 flags of the first process (an installed mlt has deno.json's).
  const v8 = "--v8-flags=--min-semi-space-size=2";
  const server = await startMltServer(
    dir,
    [
      "--workers",
      "2",
      "--backend-store-uri",
      "sqlite:///mlt.db",
    ],
    {},
    { denoArgs: [v8] },
  );
  const conns: Deno.TcpConn[] = [];
  try {
    const port = Number(new URL(server.url).port);
    const [copy] = await waitFor("the second worker", () => {
      const c = children(server.child.pid);
      return c.length === 1 ? c : undefined;
    });
    const cmdline = Deno.readTextFileSync(`/proc/${copy}/cmdline`).split("\0");
    assert.ok(cmdline.includes(v8), cmdline.join(" "));
    const before = [sockets(server.child.pid), sockets(copy)];
    // Linux hashes each new connection to one of the two listeners: with 24 connections, both
    // processes accept some unless the port is not shared (odds of all 24 on one: 2 in 16M).
    for (let i = 0; i < 24; i++) conns.push(await heldConnection(port));
    assert.ok(sockets(server.child.pid) > before[0], "the first process accepted connections");
    assert.ok(sockets(copy) > before[1], "the second process accepted connections");

    // Writes through both processes land in the one store.
    const api = `${server.url}/api/2.0/mlflow`;
    const created = await Promise.all(Array.from({ length: 30 }, async (_, i) => {
      const r = await fetch(`${api}/runs/create`, {
        method: "POST",
        headers: { "content-type": "application/json", connection: "close" },
        body: JSON.stringify({ experiment_id: "0", run_name: `w-${i}` }),
      });
      assert.equal(r.status, 200);
      return (await r.json()).run.info.run_id as string;
    }));
    const found = await (await fetch(`${api}/runs/search`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ experiment_ids: ["0"], max_results: 100 }),
    })).json();
    assert.deepEqual(
      found.runs.map((r: { info: { run_id: string } }) => r.info.run_id).sort(),
      created.sort(),
    );

    // A worker that dies is started again.
    Deno.kill(copy, "SIGKILL");
    const [replacement] = await waitFor("a replacement worker", () => {
      const c = children(server.child.pid).filter((p) => p !== copy && alive(p));
      return c.length === 1 ? c : undefined;
    });
    assert.ok(await gone(copy));

    // SIGTERM on the first process stops every worker, and the exit is clean.
    for (const c of conns.splice(0)) c.close();
    server.child.kill("SIGTERM");
    assert.equal((await server.child.status).code, 0);
    assert.ok(await gone(replacement), "the worker stopped with the first process");
    assert.match(await server.stderr, /worker 2 exited \(signal SIGKILL\); starting it again/);
  } finally {
    for (const c of conns) c.close();
    try {
      server.child.kill("SIGKILL");
    } catch {
      // already stopped
    }
    await server.child.status;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mlt server --workers: the workers end when the first process is killed", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mlt-srv-workers-" });
  const server = await startMltServer(dir, ["--workers", "3", "--backend-store-uri", "mlruns"]);
  try {
    const copies = await waitFor("two workers", () => {
      const c = children(server.child.pid);
      return c.length === 2 ? c : undefined;
    });
    server.child.kill("SIGKILL");
    await server.child.status;
    // Their stdin (the first process's pipe) closed: each stops on its own.
    for (const pid of copies) assert.ok(await gone(pid, 10_000), `worker ${pid} outlived`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
