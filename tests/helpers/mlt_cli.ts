/** Runs the real CLI (`deno run -A main.ts …`) in a child process and collects its output. */

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** What one CLI invocation printed and how it exited. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `mlt <args>` in `cwd` with stdin closed (not a terminal) and NO_COLOR set. */
export async function mlt(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
): Promise<CliResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    cwd: opts.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: {
      NO_COLOR: "1",
      MLFLOW_TRACKING_URI: "",
      MLFLOW_EXPERIMENT_ID: "",
      MLFLOW_HTTP_REQUEST_MAX_RETRIES: "1",
      MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR: "0.01",
      ...opts.env,
    },
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
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

/** A temp dir, removed after `fn`. */
export async function inTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "mlt-cli-" }));
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
