/** A real `mlt server` process on a free port, for the CLI and compatibility tests. */

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** A running `mlt server` child. */
export interface MltServer {
  url: string;
  child: Deno.ChildProcess;
  /** Everything the server wrote to stderr, once it has exited. */
  stderr: Promise<string>;
  /** What the server wrote to stdout so far. */
  stdout: () => string;
}

/**
 * Starts `mlt server --port 0` in `dir` with `args` (the caller names the stores) and resolves
 * once it printed its URL.
 */
export async function startMltServer(
  dir: string,
  args: string[],
  env: Record<string, string> = {},
  opts: { openFiles?: number; denoArgs?: string[]; main?: string } = {},
): Promise<MltServer> {
  const main = opts.main ?? MAIN; // another build of mlt (the installed bundle), or main.ts
  const argv = ["run", "-A", ...opts.denoArgs ?? [], main, "server", "--port", "0", ...args];
  // `ulimit -n` sets both limits, so the server cannot raise its own.
  const [cmd, cmdArgs] = opts.openFiles === undefined
    ? [Deno.execPath(), argv]
    : ["bash", ["-c", `ulimit -n ${opts.openFiles} && exec "$@"`, "mlt", Deno.execPath(), ...argv]];
  const child = new Deno.Command(cmd, {
    args: cmdArgs,
    cwd: dir,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...env },
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
  let all = out;
  (async () => {
    for (let r = await reader.read(); !r.done; r = await reader.read()) all += r.value;
  })();
  const url = /http:\/\/[^\s]+/.exec(out)?.[0];
  if (!url) {
    child.kill("SIGTERM");
    await child.status;
    throw new Error(`mlt server did not start: ${out}\n${await stderr}`);
  }
  return { url, child, stderr, stdout: () => all };
}
