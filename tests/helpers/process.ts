/** Child processes in tests: running one to the end, reading its output, checking it is gone. */
import assert from "node:assert/strict";

/** What a finished child printed and how it exited. */
export interface ProcessResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `cmd args` to the end, with `stdin` written to it (else stdin closed); decodes output. */
export async function runProcess(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string>; stdin?: string } = {},
): Promise<ProcessResult> {
  const child = new Deno.Command(cmd, {
    args,
    cwd: opts.cwd,
    env: opts.env,
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(opts.stdin));
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/**
 * Reads `reader` until the text read so far contains `marker` (or the stream ends); returns that
 * text. The rest of the stream stays unread.
 */
export async function readUntil(
  reader: ReadableStreamDefaultReader<string>,
  marker: string,
): Promise<string> {
  let out = "";
  while (!out.includes(marker)) {
    const { done, value } = await reader.read();
    if (done) break;
    out += value;
  }
  return out;
}

/** One JSON line a store worker (helpers/store_worker.ts) prints. */
export interface WorkerResult {
  ok: boolean;
  code?: string;
  message?: string;
  id?: string;
  value?: string;
}

/** The store worker script, for tests that spawn it themselves. */
export const STORE_WORKER = new URL("./store_worker.ts", import.meta.url).pathname;

/** Runs `n` store workers (or `script`) at once, worker `i` with `args(i)`; each must exit 0. */
export async function storeWorkers(
  n: number,
  args: (i: number) => string[],
  script: string = STORE_WORKER,
): Promise<WorkerResult[]> {
  const outs = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", script, ...args(i)],
        stdout: "piped",
        stderr: "piped",
      }).output()),
  );
  return outs.map((o) => {
    assert.equal(o.code, 0, new TextDecoder().decode(o.stderr));
    return JSON.parse(new TextDecoder().decode(o.stdout).trim()) as WorkerResult;
  });
}

/** True while `pid` exists and is not a zombie. */
export function alive(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGCONT");
    // A zombie still answers; look at its state.
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

/** Waits (bounded) for a signalled process to finish dying; false if it is still alive. */
export async function gone(pid: number, withinMs = 5000): Promise<boolean> {
  for (const end = Date.now() + withinMs; Date.now() < end;) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !alive(pid);
}
