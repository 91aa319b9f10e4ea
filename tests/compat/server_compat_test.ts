/**
 * The real Python mlflow client against a real `mlt server` process on a free port: every flow
 * of tests/compat/server_flows.py (experiments, fluent runs, NaN/±inf, batches, search and
 * paging, history paging, artifacts through the proxy, datasets, async logging, raw HTTP errors),
 * then a graceful SIGTERM. Needs the venv python (python.ts); a missing one fails the test.
 */
import assert from "node:assert/strict";
import { PYTHON_ENV, pythonPath, REPO_ROOT } from "./python.ts";

const FLOWS = `${REPO_ROOT}/tests/compat/server_flows.py`;

interface Server {
  url: string;
  child: Deno.ChildProcess;
  stderr: Promise<string>;
}

async function startServer(dir: string): Promise<Server> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      `${REPO_ROOT}/main.ts`,
      "server",
      "--port",
      "0",
      "--backend-store-uri",
      `${dir}/mlruns`,
      "--artifacts-destination",
      `${dir}/mlartifacts`,
    ],
    cwd: dir,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!out.includes("\n")) {
    const { done, value } = await reader.read();
    if (done) break;
    out += value;
  }
  // Keep draining stdout so the server never blocks on a full pipe.
  (async () => {
    while (!(await reader.read()).done) { /* discard */ }
  })();
  const url = /http:\/\/[^\s]+/.exec(out)?.[0];
  if (!url) {
    child.kill("SIGTERM");
    await child.status;
    throw new Error(`mlt server did not start: ${out}\n${await stderr}`);
  }
  return { url, child, stderr };
}

Deno.test("the Python mlflow client works against mlt server", async (t) => {
  const python = pythonPath();
  const dir = await Deno.makeTempDir({ prefix: "mlt-server-compat-" });
  const server = await startServer(dir);
  try {
    const out = await new Deno.Command(python, {
      args: [FLOWS, server.url, dir],
      cwd: dir,
      env: {
        ...PYTHON_ENV,
        MLFLOW_HTTP_REQUEST_MAX_RETRIES: "0",
        MLFLOW_HTTP_REQUEST_TIMEOUT: "60",
        MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT: "true",
      },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    const line = text.split("\n").find((l) => l.startsWith("MLT_RESULTS "));
    assert.ok(line, `no results from server_flows.py:\n${new TextDecoder().decode(out.stderr)}`);
    const results: Record<string, string> = JSON.parse(line.slice("MLT_RESULTS ".length));
    assert.ok(Object.keys(results).length >= 10, "every flow ran");
    for (const [flow, result] of Object.entries(results)) {
      await t.step(flow, () => assert.equal(result, "ok", result));
    }
  } finally {
    server.child.kill("SIGTERM");
    const status = await server.child.status;
    const stderr = await server.stderr;
    await Deno.remove(dir, { recursive: true });
    assert.equal(status.code, 0, `server exited ${status.code}: ${stderr}`);
    assert.doesNotMatch(stderr, /error|Uncaught/i);
  }
});
