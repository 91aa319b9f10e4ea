/**
 * `mlt server` under hostile clients, over real sockets (issue 13): a flood of idle connections
 * past the open-file limit, sockets that never finish a request, bodies sent a byte at a time.
 */
import assert from "node:assert/strict";
import { startServer } from "../src/api/serve.ts";
import { testApp } from "./helpers/api.ts";
import { type MltServer, startMltServer } from "./helpers/mlt_server.ts";
import { withTempDir } from "./helpers/temp.ts";

const enc = new TextEncoder();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function stop(s: MltServer): Promise<void> {
  try {
    s.child.kill("SIGTERM");
  } catch {
    // already gone
  }
  await s.child.status;
  await s.stderr;
}

// A fresh `mlt server` on a file store in a temp dir for `fn`, stopped afterwards.
async function withServer(
  args: string[],
  fn: (s: MltServer) => Promise<void>,
  env: Record<string, string> = {},
  opts: { openFiles?: number } = {},
): Promise<void> {
  await withTempDir("mlt-hardening-", async (dir) => {
    const s = await startMltServer(dir, ["--backend-store-uri", "./mlruns", ...args], env, opts);
    try {
      await fn(s);
    } finally {
      await stop(s);
    }
  });
}

function addr(url: string): { hostname: string; port: number } {
  const u = new URL(url);
  return { hostname: u.hostname, port: Number(u.port) };
}

// Resolves true when the server closed `conn` (end of stream or reset) within `ms`.
async function closedWithin(conn: Deno.Conn, ms: number): Promise<boolean> {
  const buf = new Uint8Array(4096);
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const n = await Promise.race([
      conn.read(buf).catch(() => null),
      new Promise<"wait">((r) => timer = setTimeout(() => r("wait"), deadline - Date.now())),
    ]);
    clearTimeout(timer);
    if (n === null) return true;
    if (n === "wait") return false;
  }
  return false;
}

// VmRSS of a process in MB.
async function rssMb(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

async function health(url: string): Promise<number> {
  const client = Deno.createHttpClient({}); // a fresh connection, as a probe makes
  try {
    const res = await fetch(`${url}/health`, { client });
    await res.body?.cancel();
    return res.status;
  } finally {
    client.close();
  }
}

const FLOOD: [string, string[], Record<string, string>][] = [
  ["plain", [], {}],
  ["--workers 2", ["--workers", "2"], {}],
  ["--auth basic", ["--auth", "basic"], { MLT_AUTH_USERS: "alice:alice-pw" }],
];

for (const [name, args, env] of FLOOD) {
  Deno.test(`mlt server (${name}) outlives 600 idle connections past a 256-file limit`, async () => {
    await withServer(
      args,
      async (s) => {
        let exited = false;
        s.child.status.then(() => exited = true);
        const conns: Deno.Conn[] = [];
        try {
          for (let i = 0; i < 600 && !exited; i++) {
            try {
              conns.push(await Deno.connect(addr(s.url)));
            } catch {
              break; // refused: the server is gone (the assertion below says so)
            }
          }
          assert.equal(conns.length, 600, "every connection was accepted by the kernel");
          assert.equal(await health(s.url), 200, "/health answers during the flood");
          // The server shed idle sockets to stay under its cap instead of running out of files.
          const closed = (await Promise.all(conns.map((c) => closedWithin(c, 2000))))
            .filter(Boolean).length;
          assert.ok(closed >= 600 - 2 * 200, `only ${closed} idle connections were closed`);
          assert.ok(!exited, "the server is still running");
        } finally {
          for (const c of conns) {
            try {
              c.close();
            } catch {
              // closed by the server
            }
          }
        }
        assert.equal(await health(s.url), 200, "/health answers after the flood");
        assert.ok(!exited, "the server is still running");
      },
      env,
      { openFiles: 256 },
    );
  });
}

Deno.test("mlt server --idle-timeout closes idle sockets and unfinished request heads", async () => {
  await withServer(["--idle-timeout", "0.5"], async (s) => {
    const silent = await Deno.connect(addr(s.url));
    const slowloris = await Deno.connect(addr(s.url));
    await slowloris.write(enc.encode("GET /health HTTP/1.1\r\nHost: localhost\r\nX-A: "));
    const keptAlive = await Deno.connect(addr(s.url));
    await keptAlive.write(enc.encode("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n"));
    const results = await Promise.all([silent, slowloris].map((c) => closedWithin(c, 5000)));
    assert.deepEqual(results, [true, true]);
    // The keep-alive socket got its answer, then was closed once idle.
    const buf = new Uint8Array(4096);
    const n = await keptAlive.read(buf);
    assert.match(new TextDecoder().decode(buf.subarray(0, n ?? 0)), /^HTTP\/1\.1 200/);
    assert.ok(await closedWithin(keptAlive, 5000), "the idle keep-alive socket was closed");
    for (const c of [silent, slowloris, keptAlive]) c.close();
    assert.equal(await health(s.url), 200);
  });
});

Deno.test("mlt server: 100 bodies trickling in a byte at a time hold no 64 KiB buffer per byte", async () => {
  await withServer([], async (s) => {
    const conns: Deno.Conn[] = [];
    try {
      assert.equal(await health(s.url), 200);
      const before = await rssMb(s.child.pid);
      const head = "POST /api/2.0/mlflow/runs/log-metric HTTP/1.1\r\nHost: localhost\r\n" +
        "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n";
      for (let i = 0; i < 100; i++) {
        const c = await Deno.connect(addr(s.url));
        await c.write(enc.encode(head));
        conns.push(c);
      }
      for (let b = 0; b < 100; b++) {
        await Promise.all(conns.map((c) => c.write(enc.encode(" "))));
        await sleep(10); // separate reads on the server, one byte each
      }
      await sleep(200);
      const grown = (await rssMb(s.child.pid)) - before;
      // 100 × 100 bytes; kept as 64 KiB chunks they held 625 MB.
      assert.ok(grown < 100, `the server grew by ${grown.toFixed(0)} MB`);
      assert.equal(await health(s.url), 200);
    } finally {
      for (const c of conns) c.close();
    }
  });
});

Deno.test("mlt server --body-timeout answers 408 to a body that stalls", async () => {
  await withServer(["--body-timeout", "0.5"], async (s) => {
    const c = await Deno.connect(addr(s.url));
    await c.write(enc.encode(
      "POST /api/2.0/mlflow/experiments/create HTTP/1.1\r\nHost: localhost\r\n" +
        'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"name": ',
    ));
    const buf = new Uint8Array(4096);
    const n = await c.read(buf);
    const text = new TextDecoder().decode(buf.subarray(0, n ?? 0));
    assert.match(text, /^HTTP\/1\.1 408/);
    assert.match(text, /DEADLINE_EXCEEDED/);
    c.close();
  });
});

// One raw HTTP/1.1 exchange; the status line and body of the answer.
async function rawRequest(url: string, head: string): Promise<{ status: string; body: string }> {
  const c = await Deno.connect(addr(url));
  try {
    await c.write(enc.encode(head));
    let text = "";
    const buf = new Uint8Array(16384);
    while (true) {
      const n = await c.read(buf);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    return { status: text.split("\r\n")[0], body: text.split("\r\n\r\n")[1] ?? "" };
  } finally {
    c.close();
  }
}

Deno.test("a malformed Host header is a clean 400, with or without the security middleware", async () => {
  for (const enabled of [true, false]) {
    const t = await testApp({ security: { enabled } });
    const server = await startServer((req, info) => t.app.fetch(req, info));
    try {
      for (const host of ["[::1]evil.com", "localhost:80:80", "local host", "[::1", "x:99999"]) {
        const res = await rawRequest(
          server.url,
          "GET /api/2.0/mlflow/experiments/search?max_results=1 HTTP/1.1\r\n" +
            `Host: ${host}\r\nConnection: close\r\n\r\n`,
        );
        assert.match(res.status, /^HTTP\/1\.1 400/, `${host} (security ${enabled})`);
        assert.equal(JSON.parse(res.body).error_code, "BAD_REQUEST");
      }
    } finally {
      await server.stop();
      await t.close();
    }
  }
});

Deno.test("mlt server at --max-connections with every request in progress answers 503 and stays up", async () => {
  await withServer(["--max-connections", "8"], async (s) => {
    const busy: Deno.Conn[] = [];
    try {
      for (let i = 0; i < 8; i++) {
        const c = await Deno.connect(addr(s.url));
        // A request whose body never ends keeps its connection busy.
        await c.write(enc.encode(
          "POST /api/2.0/mlflow/experiments/create HTTP/1.1\r\nHost: localhost\r\n" +
            "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
        ));
        busy.push(c);
      }
      // Time for the server to read each request head (a connection whose head it has not read yet
      // counts as idle and would be evicted instead); generous, as a loaded CI machine needs it.
      await sleep(1000);
      const res = await rawRequest(s.url, "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n");
      assert.match(res.status, /^HTTP\/1\.1 503/);
      assert.equal(JSON.parse(res.body).error_code, "TEMPORARILY_UNAVAILABLE");
    } finally {
      for (const c of busy) c.close();
    }
    // The busy connections gone, the cap has room again.
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = await health(s.url).catch(() => 0);
      if (status !== 200) await sleep(50);
    }
    assert.equal(status, 200);
  });
});
