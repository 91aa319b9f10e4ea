/**
 * Runs the entry point's command as the leader of its own process group (a new session), with
 * the terminal inherited so progress bars work, and forwards SIGINT/SIGTERM to the whole group:
 * SIGTERM first, SIGKILL after a grace period.
 */

/** What to start. */
export interface ChildSpec {
  /** The shell that runs `command` with `-c` (bash, as MLflow). */
  shell: string;
  command: string;
  cwd: string;
  /** The child's whole environment. */
  env: Record<string, string>;
}

/** How the child ended. */
export interface ChildResult {
  /** Exit code; 128 + n when a signal ended it. */
  code: number;
  /** The signal that ended the child, if one did. */
  signal: Deno.Signal | null;
  /** The signal mlt received and forwarded, if any. */
  interruptedBy: "SIGINT" | "SIGTERM" | "SIGHUP" | null;
}

/** Options of `runInGroup`. */
export interface GroupOptions {
  /** Milliseconds between SIGTERM and SIGKILL to the group (default 10 000). */
  graceMs?: number;
  /** Called once the child runs, with its pid (= its process group id). */
  onStart?: (pid: number) => void;
  /** Called when a signal arrives, before it is forwarded. */
  onSignal?: (signal: string) => void;
}

const FORWARDED = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/** Sends `signal` to process group `pgid`; false when the group no longer exists. */
export function killGroup(pgid: number, signal: Deno.Signal): boolean {
  try {
    Deno.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Starts `spec` in a new process group, forwards signals, and waits for it to end. */
export async function runInGroup(spec: ChildSpec, opts: GroupOptions = {}): Promise<ChildResult> {
  const graceMs = opts.graceMs ?? 10_000;
  const child = new Deno.Command(spec.shell, {
    args: ["-c", spec.command],
    cwd: spec.cwd,
    env: spec.env,
    clearEnv: true,
    // setsid(): the child leads a new session and process group (pgid = pid), so the whole tree
    // can be signalled; the terminal stays its stdio, so TTY detection and progress bars work.
    detached: true,
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  const pgid = child.pid;
  opts.onStart?.(pgid);

  let interruptedBy: ChildResult["interruptedBy"] = null;
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  const handlers = FORWARDED.map((sig) => {
    const handler = () => {
      opts.onSignal?.(sig);
      if (interruptedBy === null) {
        interruptedBy = sig;
        killGroup(pgid, "SIGTERM");
        killTimer = setTimeout(() => killGroup(pgid, "SIGKILL"), graceMs);
      } else {
        // A second Ctrl-C: do not wait for the grace period.
        killGroup(pgid, "SIGKILL");
      }
    };
    Deno.addSignalListener(sig, handler);
    return [sig, handler] as const;
  });
  try {
    const status = await child.status;
    if (interruptedBy !== null) await drainGroup(pgid, graceMs);
    return { code: status.code, signal: status.signal, interruptedBy };
  } finally {
    clearTimeout(killTimer);
    for (const [sig, handler] of handlers) Deno.removeSignalListener(sig, handler);
  }
}

/** After an interruption: waits for the rest of the group to exit, then SIGKILLs what is left. */
async function drainGroup(pgid: number, graceMs: number): Promise<void> {
  const deadline = Date.now() + graceMs;
  // SIGCONT is harmless to running processes and wakes stopped ones so they can die.
  while (killGroup(pgid, "SIGCONT")) {
    if (Date.now() >= deadline) {
      killGroup(pgid, "SIGKILL");
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
