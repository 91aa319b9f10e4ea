/**
 * Runs the entry point as the leader of its own process group (a new session) and forwards
 * SIGINT/SIGTERM to the whole group: SIGTERM first, SIGKILL after a grace period. Its output is
 * either left on mlt's stdio, piped through mlt into the run's log, or — when mlt is on a
 * terminal — run under util-linux `script`, which gives the child a pty of its own (progress
 * bars stay live) and copies everything into a file mlt follows.
 */
import type { LogStream, OutputLog } from "./output_log.ts";
import { tailFile } from "./output_log.ts";
import { shellQuote } from "./command.ts";

/** What to start. */
export interface ChildSpec {
  /** Program and arguments, e.g. `["bash", "-c", command]`. */
  argv: string[];
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

/** Where the child's output goes. */
export type OutputMode =
  /** Straight to mlt's stdout and stderr; nothing saved. */
  | { kind: "inherit" }
  /** Through mlt: copied to mlt's stdout/stderr and into `log`. */
  | { kind: "pipe"; log: OutputLog }
  /** On a pty made by util-linux `script` (path `script`), which writes `rawFile`; mlt follows it. */
  | { kind: "tty"; log: OutputLog; script: string; rawFile: string };

/** Options of `runInGroup`. */
export interface GroupOptions {
  /** Milliseconds between SIGTERM and SIGKILL to the group (default 10 000). */
  graceMs?: number;
  /** Called once the child runs, with the pid whose session holds the entry point's processes. */
  onStart?: (pid: number) => void;
  /** Called when a signal arrives, before it is forwarded. */
  onSignal?: (signal: string) => void;
  output?: OutputMode;
  /**
   * Stops the entry point on an interrupt instead of signalling its group (docker: `docker stop`,
   * or `docker kill` when `force`); resolves false when that failed, and the group is signalled
   * after all. The group is SIGKILLed anyway if it outlives the grace period by `stopMarginMs`.
   */
  stop?: (force: boolean) => Promise<boolean>;
  /** Milliseconds past the grace period before a `stop`ped group is SIGKILLed (default 15 000). */
  stopMarginMs?: number;
  /** Read an exit code of 128 + n as death by signal n (docker reports a container's so). */
  signalFromExitCode?: boolean;
}

const FORWARDED = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
// Signals a user sends from the terminal (or a hangup): the whole entry point should stop.
const TERMINAL_STOPS = new Set<Deno.Signal>(["SIGINT", "SIGQUIT", "SIGHUP", "SIGTERM"]);
// Linux signal numbers, to read `script -e`'s 128 + n exit codes back as signals.
const SIGNAL_NAMES: Record<number, Deno.Signal> = {
  1: "SIGHUP",
  2: "SIGINT",
  3: "SIGQUIT",
  4: "SIGILL",
  5: "SIGTRAP",
  6: "SIGABRT",
  7: "SIGBUS",
  8: "SIGFPE",
  9: "SIGKILL",
  10: "SIGUSR1",
  11: "SIGSEGV",
  12: "SIGUSR2",
  13: "SIGPIPE",
  14: "SIGALRM",
  15: "SIGTERM",
};

/** Sends `signal` to process group `pgid`; false when the group no longer exists. */
export function killGroup(pgid: number, signal: Deno.Signal): boolean {
  try {
    Deno.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** The command line `script -c` hands to /bin/sh: exec the argv with the user's SHELL restored. */
export function scriptCommand(argv: readonly string[], userShell: string | undefined): string {
  const shell = userShell === undefined ? "-u SHELL" : `SHELL=${shellQuote(userShell)}`;
  return `exec env ${shell} ${argv.map(shellQuote).join(" ")}`;
}

/** Starts `spec` in a new process group, forwards signals, and waits for it to end. */
export async function runInGroup(spec: ChildSpec, opts: GroupOptions = {}): Promise<ChildResult> {
  const graceMs = opts.graceMs ?? 10_000;
  const output = opts.output ?? { kind: "inherit" };
  const [program, ...args] = output.kind === "tty"
    ? [
      output.script,
      "-q",
      "-f",
      "-e",
      "-c",
      scriptCommand(spec.argv, spec.env.SHELL),
      output.rawFile,
    ]
    : spec.argv;
  // `script` runs its -c command with $SHELL; /bin/sh makes scriptCommand's quoting hold.
  const env = output.kind === "tty" ? { ...spec.env, SHELL: "/bin/sh" } : spec.env;
  const ttyLog = output.kind === "tty" ? output.log.scriptStream() : undefined;
  const tail = ttyLog && output.kind === "tty"
    ? await tailFile(output.rawFile, (bytes) => ttyLog.write(bytes))
    : undefined;
  const stopTail = async () => {
    await tail?.stop();
    ttyLog?.end();
  };
  const piped = output.kind === "pipe";
  // The group's process ids: the child's, then (under `script`) the entry point's.
  const groups: number[] = [];
  // Under `script`: the entry point's own group, once known (undefined while looking for it).
  let inner: Promise<number | undefined> | undefined;
  let interruptedBy: ChildResult["interruptedBy"] = null;
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  const stopping: Promise<unknown>[] = [];
  // Under `script`, signal the entry point's own group (script would print "Session terminated"
  // and wait two seconds before it SIGKILLs its child); script exits once its child has. Before
  // the child exists there is nothing to signal: the spawn below forwards what came meanwhile.
  const killAll = (signal: Deno.Signal) => {
    if (groups.length === 0) return;
    if (signal === "SIGKILL") groups.forEach((g) => killGroup(g, signal));
    else if (inner) void inner.then((pid) => killGroup(pid ?? groups[0], signal));
    else killGroup(groups[groups.length - 1], signal);
  };
  // Listening before the child starts: a signal in between would otherwise end mlt by its
  // default action and leave the detached group running.
  const handlers = FORWARDED.map((sig) => {
    const handler = () => {
      opts.onSignal?.(sig);
      const stop = opts.stop;
      if (interruptedBy === null) {
        interruptedBy = sig;
        if (stop) {
          stopping.push(stop(false).then((ok) => ok || killAll("SIGTERM")));
          killTimer = setTimeout(() => killAll("SIGKILL"), graceMs + (opts.stopMarginMs ?? 15_000));
        } else {
          killAll("SIGTERM");
          killTimer = setTimeout(() => killAll("SIGKILL"), graceMs);
        }
      } else if (stop) {
        // A second Ctrl-C: do not wait for the grace period.
        stopping.push(stop(true).then(() => killAll("SIGKILL")));
      } else {
        killAll("SIGKILL");
      }
    };
    Deno.addSignalListener(sig, handler);
    return [sig, handler] as const;
  });
  const unlisten = () => {
    clearTimeout(killTimer);
    for (const [sig, handler] of handlers) Deno.removeSignalListener(sig, handler);
  };
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(program, {
      args,
      cwd: spec.cwd,
      env,
      clearEnv: true,
      // setsid(): the child leads a new session and process group (pgid = pid), so the whole tree
      // can be signalled.
      detached: true,
      stdin: "inherit",
      stdout: piped ? "piped" : "inherit",
      stderr: piped ? "piped" : "inherit",
    }).spawn();
  } catch (e) {
    unlisten();
    await Promise.allSettled(stopping);
    await stopTail();
    throw e;
  }
  groups.push(child.pid);
  if (output.kind === "tty") inner = childPid(child.pid);
  // Interrupted while starting: the grace period already runs; the group hears of it now.
  if (interruptedBy !== null && !opts.stop) killAll("SIGTERM");
  const pumps = output.kind === "pipe"
    ? [
      pump(child.stdout, Deno.stdout, output.log.stream()),
      pump(child.stderr, Deno.stderr, output.log.stream()),
    ]
    : [];

  try {
    // Under `script` the entry point leads a session of its own, one level down.
    const innerPid = await inner;
    if (innerPid !== undefined) groups.push(innerPid);
    inner = undefined;
    opts.onStart?.(innerPid ?? child.pid);
    const status = await child.status;
    let { code, signal } = status;
    if (
      (output.kind === "tty" || opts.signalFromExitCode) && signal === null && code > 128 &&
      SIGNAL_NAMES[code - 128]
    ) {
      // `script -e` (and docker, for a container) reports death by signal n as exit code 128 + n.
      signal = SIGNAL_NAMES[code - 128];
    }
    if (interruptedBy !== null) await drainGroups(groups, graceMs);
    else if (innerPid !== undefined && signal !== null && TERMINAL_STOPS.has(signal)) {
      // Ctrl-C (or Ctrl-\) typed on the child's pty: the shell died of it, but its background
      // jobs ignore SIGINT; stop the rest of the group as an interrupt of mlt would.
      if (killGroup(innerPid, "SIGTERM")) await drainGroups([innerPid], graceMs);
    }
    await finishPumps(pumps);
    return { code, signal, interruptedBy };
  } finally {
    unlisten();
    await Promise.allSettled(stopping);
    await stopTail();
  }
}

/** The first child of `pid` (from /proc), waiting up to a second for it to appear. */
async function childPid(pid: number): Promise<number | undefined> {
  for (let i = 0; i < 100; i++) {
    try {
      const text = await Deno.readTextFile(`/proc/${pid}/task/${pid}/children`);
      const first = Number(text.trim().split(/\s+/)[0]);
      if (Number.isInteger(first) && first > 0) return first;
    } catch {
      return undefined; // no /proc, or the process is gone
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  return undefined;
}

/** A pump copying a child's pipe to mlt's own stream and into the log. */
interface Pump {
  done: Promise<void>;
  cancel(): Promise<void>;
}

function pump(
  from: ReadableStream<Uint8Array>,
  to: { write(p: Uint8Array): Promise<number> },
  log: LogStream,
): Pump {
  const reader = from.getReader();
  let forward = true;
  const done = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        log.write(value);
        if (!forward) continue;
        try {
          let off = 0;
          while (off < value.length) off += await to.write(value.subarray(off));
        } catch {
          // mlt's own output is closed (`mlt run | head`): keep logging, stop forwarding.
          forward = false;
        }
      }
    } catch {
      // cancelled
    } finally {
      log.end();
    }
  })();
  return { done, cancel: () => reader.cancel().catch(() => {}) };
}

/** Waits for the pipes to close; a process that left the group may hold them, so not forever. */
async function finishPumps(pumps: Pump[]): Promise<void> {
  if (!pumps.length) return;
  const all = Promise.all(pumps.map((p) => p.done));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((r) => timer = setTimeout(() => r("late"), 2000));
  if (await Promise.race([all, late]) === "late") {
    await Promise.all(pumps.map((p) => p.cancel()));
    await all;
  }
  clearTimeout(timer);
}

/** After an interruption: waits for the groups to exit, then SIGKILLs what is left. */
async function drainGroups(groups: number[], graceMs: number): Promise<void> {
  const deadline = Date.now() + graceMs;
  // SIGCONT is harmless to running processes and wakes stopped ones so they can die.
  while (groups.some((g) => killGroup(g, "SIGCONT"))) {
    if (Date.now() >= deadline) {
      groups.forEach((g) => killGroup(g, "SIGKILL"));
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
