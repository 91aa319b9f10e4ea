/**
 * The real `mlflow server` (the venv's MLflow 3.17.2) as a peer for the parity tests: started in
 * its own process group (setsid), so its uvicorn worker and job consumers stop with it.
 */
import { closedPort } from "../helpers/mlt_cli.ts";
import { PYTHON_ENV, pythonPath } from "./python.ts";

/** A running `mlflow server`. */
export interface MlflowServer {
  url: string;
  child: Deno.ChildProcess;
  /** Everything it wrote to stdout and stderr, once it has exited. */
  output: Promise<string>;
}

/**
 * Starts `mlflow server <args> --host 127.0.0.1 --port <free> --workers 1` in `dir` and waits
 * (up to two minutes: its start-up is slow on a loaded machine) until `/health` answers.
 */
export async function startMlflow(
  dir: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<MlflowServer> {
  const port = closedPort();
  const child = new Deno.Command("setsid", {
    args: [
      pythonPath(),
      "-m",
      "mlflow",
      "server",
      ...args,
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--workers",
      "1",
    ],
    cwd: dir,
    env: { ...PYTHON_ENV, ...env },
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

/** SIGTERM to the whole group, then SIGKILL for whatever lingers (job consumers take their time). */
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
