/** Runs the real CLI (`deno run -A main.ts …`) in a child process and collects its output. */
import { type ProcessResult, runProcess } from "./process.ts";
import { withTempDir } from "./temp.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** What one CLI invocation printed and how it exited. */
export type CliResult = ProcessResult;

/**
 * Runs `mlt <args>` in `cwd` with NO_COLOR set and stdin closed (not a terminal), or fed `stdin`.
 */
export function mlt(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string>; stdin?: string } = {},
): Promise<CliResult> {
  return runProcess(Deno.execPath(), ["run", "-A", MAIN, ...args], {
    cwd: opts.cwd,
    stdin: opts.stdin,
    env: {
      NO_COLOR: "1",
      MLFLOW_TRACKING_URI: "",
      MLFLOW_EXPERIMENT_ID: "",
      MLFLOW_HTTP_REQUEST_MAX_RETRIES: "1",
      MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR: "0.01",
      ...opts.env,
    },
  });
}

/** The first stderr line, which must be the one `error: …` line of a failure. */
export function errorLine(r: CliResult): string {
  return r.stderr.split("\n")[0];
}

/** A free port with nothing listening on it. */
export function closedPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** A temp dir (symlinks resolved), removed after `fn`. */
export function inTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  return withTempDir("mlt-cli-", async (dir) => fn(await Deno.realPath(dir)));
}
