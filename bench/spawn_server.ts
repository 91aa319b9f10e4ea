/** A fresh `mlt server` child for the benchmarks: started from a checkout, stopped with SIGTERM. */

import { installedMlt, mltV8Flags } from "./bench_context.ts";

/** A running `mlt server`. */
export interface SpawnedServer {
  url: string;
  pid: number;
  child: Deno.ChildProcess;
  /** False once the process has exited. */
  alive(): boolean;
  /** SIGTERM (unless it already exited); resolves with the exit code. */
  stop(): Promise<number>;
}

/** How to start it, where a benchmark compares settings. */
export interface SpawnOptions {
  /** V8's flags (default: deno.json's install flags of `src`). */
  v8?: string[];
  /** More environment variables. */
  env?: Record<string, string>;
  /** The server's stderr: shown (default) or dropped. */
  stderr?: "inherit" | "null";
}

/** Starts `mlt server --port 0 --backend-store-uri store …extra` in `src`; resolves once it listens. */
export async function spawnServer(
  store: string,
  src: string,
  extra = "",
  how: SpawnOptions = {},
): Promise<SpawnedServer> {
  const installed = await installedMlt(src);
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      ...(how.v8 ?? mltV8Flags(src)), // as the installed `mlt` runs (deno.json's install task)
      ...installed.deno,
      installed.main,
      "server",
      "--port",
      "0",
      "--backend-store-uri",
      store,
      ...extra.split(" ").filter(Boolean),
    ],
    cwd: src,
    stdout: "piped",
    stderr: how.stderr ?? "inherit",
    env: { MLFLOW_DISABLE_TELEMETRY: "true", ...how.env },
  }).spawn();
  let exited = false;
  child.status.then(() => exited = true);
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!/listening on (\S+)/.test(text)) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`server exited: ${text}`);
    text += value;
  }
  // Keep draining stdout so the server never blocks on a full pipe.
  void (async () => {
    while (!(await reader.read()).done);
  })();
  return {
    url: /listening on (\S+)/.exec(text)![1],
    pid: child.pid,
    child,
    alive: () => !exited,
    stop: async () => {
      if (!exited) child.kill("SIGTERM");
      return (await child.status).code;
    },
  };
}
