/**
 * A real `mlflow server` (the venv's MLflow, see tests/compat/python.ts) on a free port over a
 * given backend store, in its own process group, for parity tests and benchmarks; and the JSON
 * call the parity tests send to both servers.
 */
import { PYTHON_ENV, pythonPath } from "../compat/python.ts";

/** A running `mlflow server`. */
export interface MlflowServer {
  url: string;
  child: Deno.ChildProcess;
  output: Promise<string>;
}

/** A port that was free a moment ago. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/**
 * Starts `mlflow server` in `dir` over `backend` (a store URI) in its own process group
 * (setsid), so its uvicorn worker stops with it; `extra` adds server options.
 */
export async function startMlflow(
  dir: string,
  backend: string,
  extra: string[] = [],
): Promise<MlflowServer> {
  const port = freePort();
  const child = new Deno.Command("setsid", {
    args: [
      pythonPath(),
      "-m",
      "mlflow",
      "server",
      "--backend-store-uri",
      backend,
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--workers",
      "1",
      ...extra,
    ],
    cwd: dir,
    env: { ...PYTHON_ENV },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output = Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text()])
    .then(([o, e]) => o + e);
  const url = `http://127.0.0.1:${port}`;
  let exited = false;
  child.status.then(() => exited = true);
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline && !exited) {
    try {
      const res = await fetch(`${url}/health`);
      await res.body?.cancel();
      if (res.ok) return { url, child, output };
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  await stopMlflow({ url, child, output });
  throw new Error(`mlflow server did not start:\n${await output}`);
}

/** SIGTERM to the whole group, then SIGKILL for what lingers (its job consumers take their time). */
export async function stopMlflow(s: MlflowServer): Promise<void> {
  const group = (signal: Deno.Signal) => {
    try {
      Deno.kill(-s.child.pid, signal);
    } catch { /* already gone */ }
  };
  group("SIGTERM");
  await Promise.race([s.child.status, new Promise((r) => setTimeout(r, 10_000))]);
  group("SIGKILL");
  await s.child.status;
  await s.output;
}

/** A parsed JSON body (or `{notJson}` with the start of what came). */
// deno-lint-ignore no-explicit-any
export type Json = any;

/** A server's answer: status and parsed body. */
export interface Answer {
  status: number;
  body: Json;
}

/** Sends `body` as JSON (none when undefined, always none for GET) and parses the answer. */
export async function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<Answer> {
  const init: RequestInit = { method };
  if (method !== "GET" && body !== undefined) {
    init.headers = { "content-type": "application/json" };
    init.body = JSON.stringify(body);
  }
  const res = await fetch(base + path, init);
  const text = await res.text();
  let parsed: Json;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = { notJson: text.slice(0, 200) };
  }
  return { status: res.status, body: parsed };
}
