/**
 * `mlt server --workers N`: the first process opens the store and listens with SO_REUSEPORT, then
 * starts N-1 copies of itself on the same port, and Linux spreads new connections across them.
 * Every store allows it: SQLite through its file locks (WAL, busy timeout), the file store through
 * its cross-process locks and validated caches, a REST store trivially.
 *
 * A copy knows it is one by MLT_SERVER_WORKER; it says "ready" on its stdout once it listens and
 * stops gracefully on SIGINT, SIGTERM or when its stdin closes — so copies never outlive the first
 * process, even one killed with SIGKILL. The first process restarts a copy that dies (a few times
 * a minute at most) and stops them all on its way out.
 */
import { MltError } from "../errors.ts";

/** Set in the environment of the copies the first process starts (its value: the copy's number). */
export const WORKER_ENV = "MLT_SERVER_WORKER";

/** What a copy prints on stdout once it listens. */
export const READY_LINE = "mlt-worker-ready";

const RESTARTS_PER_MINUTE = 5;

/** The command line that runs this same mlt with `args`: the binary, or deno with its module. */
export function selfCommand(args: string[]): { cmd: string; args: string[] } {
  if (Deno.build.standalone) return { cmd: Deno.execPath(), args };
  const main = Deno.mainModule;
  const own = ownRunFlags();
  // SO_REUSEPORT is still behind --unstable-net (the installed command turns it on).
  const run = ["run", "-A", ...(own.includes("--unstable-net") ? [] : ["--unstable-net"]), ...own];
  const configured = own.some((w) => w === "--no-config" || /^(--config|-c)(=|$)/.test(w));
  if (!configured && main.startsWith("file:")) {
    // `deno run main.ts` from a checkout: the copies need the same import map.
    const config = new URL("./deno.json", main);
    try {
      Deno.statSync(config);
      run.push("--config", decodeURIComponent(config.pathname));
    } catch {
      // a bundle or a script without deno.json beside it resolves everything itself
    }
  }
  return { cmd: Deno.execPath(), args: [...run, main, ...args] };
}

/**
 * The flags of Deno this process was started with that a copy needs to run as it does: V8 flags
 * (an installed `mlt` has deno.json's; a user may add memory flags, docs/memory.md), unstable
 * features (lazy dynamic imports: the installed bundle's start) and its configuration. Linux
 * only, as `--workers` is: read from /proc/self/cmdline.
 */
function ownRunFlags(): string[] {
  try {
    const cmdline = Deno.readTextFileSync("/proc/self/cmdline").split("\0");
    return runFlagsBefore(cmdline, Deno.mainModule, Deno.cwd());
  } catch {
    return [];
  }
}

// A flag whose value is the next word.
const WITH_VALUE = new Set(["--config", "-c"]);

/** Those flags of a deno command line, before its main module (none if it is not found). */
export function runFlagsBefore(cmdline: string[], mainModule: string, cwd: string): string[] {
  const base = `file://${cwd.replace(/\/?$/, "/")}`;
  const at = cmdline.findIndex((word, i) => {
    if (i === 0 || word.startsWith("-") || WITH_VALUE.has(cmdline[i - 1])) return false;
    try {
      return new URL(word, base).href === mainModule;
    } catch {
      return false;
    }
  });
  if (at < 0) return [];
  const kept: string[] = [];
  for (let i = 1; i < at; i++) {
    const w = cmdline[i];
    if (WITH_VALUE.has(w) && i + 1 < at) kept.push(w, cmdline[++i]);
    else if (/^(--v8-flags=|--unstable-|--config=|--no-config$)/.test(w)) kept.push(w);
  }
  return kept;
}

/** Refuses `--workers` where copies cannot be started with the same rights on the same port. */
export function checkWorkersPossible(workers: number): void {
  if (workers <= 1) return;
  if (Deno.build.os !== "linux") {
    throw new MltError(
      "INVALID_PARAMETER_VALUE",
      `--workers ${workers} needs Linux (SO_REUSEPORT); leave it out to serve from one process`,
    );
  }
  const names = ["read", "write", "net", "env", "run", "sys", "ffi"] as const;
  const missing = names.filter((name) => Deno.permissions.querySync({ name }).state !== "granted");
  if (missing.length > 0) {
    throw new MltError(
      "INVALID_PARAMETER_VALUE",
      `--workers ${workers} starts more mlt processes with all permissions; run with -A ` +
        `(missing: ${missing.join(", ")})`,
    );
  }
}

interface Copy {
  child: Deno.ChildProcess;
  /** Held open: the copy stops when it closes. */
  stdin: WritableStreamDefaultWriter<Uint8Array>;
  exited: Promise<Deno.CommandStatus>;
}

/** The copies of a `--workers N` server, started, watched and stopped by the first process. */
export class WorkerPool {
  #copies = new Map<number, Copy>();
  #stopping = false;
  #restarts: number[] = [];

  /** `args`: the copies' command line (after `mlt`), already naming the bound port. */
  constructor(readonly count: number, readonly args: string[]) {}

  /** Starts copies 2…count and resolves once each listens; rejects if one fails to start. */
  async start(): Promise<void> {
    try {
      await Promise.all(
        Array.from({ length: this.count - 1 }, (_, i) => this.#spawn(i + 2)),
      );
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  /** Asks every copy to stop gracefully and waits until all have exited. */
  async stop(): Promise<void> {
    this.#stopping = true;
    const copies = [...this.#copies.values()];
    for (const copy of copies) this.#signal(copy, "SIGTERM");
    await Promise.all(copies.map((c) => c.exited));
  }

  /** Ends every copy at once (a second Ctrl-C). */
  kill(): void {
    this.#stopping = true;
    for (const copy of this.#copies.values()) this.#signal(copy, "SIGKILL");
  }

  #signal(copy: Copy, signal: Deno.Signal): void {
    try {
      copy.child.kill(signal);
    } catch {
      // already gone
    }
  }

  #spawn(index: number): Promise<void> {
    const { cmd, args } = selfCommand(this.args);
    const child = new Deno.Command(cmd, {
      args,
      env: { [WORKER_ENV]: String(index) },
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const stdin = child.stdin.getWriter();
    let ready!: () => void;
    const listening = new Promise<void>((r) => ready = r);
    // The first line says the copy listens; anything it prints later goes to our stdout (chunk
    // by chunk: several copies share it, so none may lock it).
    const output = (async () => {
      let head: string | undefined = "";
      const decoder = new TextDecoder();
      for await (const chunk of child.stdout) {
        if (head === undefined) {
          await Deno.stdout.write(chunk);
          continue;
        }
        head += decoder.decode(chunk, { stream: true });
        const end = head.indexOf("\n");
        if (end < 0) continue;
        const first = head.slice(0, end);
        const rest = first === READY_LINE ? head.slice(end + 1) : head;
        if (first === READY_LINE) ready();
        if (rest) await Deno.stdout.write(new TextEncoder().encode(rest));
        head = undefined;
      }
    })();
    const exited = child.status.then(async (status) => {
      await output.catch(() => {});
      this.#copies.delete(index);
      stdin.close().catch(() => {});
      return status;
    });
    this.#copies.set(index, { child, stdin, exited });
    exited.then((status) => this.#exited(index, status));
    return Promise.race([
      listening,
      exited.then((status) => {
        throw new MltError(
          "INTERNAL_ERROR",
          `worker ${index} of --workers exited with code ${status.code} before listening ` +
            "(its error is above)",
        );
      }),
    ]);
  }

  #exited(index: number, status: Deno.CommandStatus): void {
    if (this.#stopping) return;
    const now = Date.now();
    this.#restarts = this.#restarts.filter((t) => now - t < 60_000);
    const how = status.signal ? `signal ${status.signal}` : `code ${status.code}`;
    if (this.#restarts.length >= RESTARTS_PER_MINUTE) {
      console.error(
        `mlt: worker ${index} exited (${how}); not restarted: ${RESTARTS_PER_MINUTE} restarts ` +
          "in the last minute",
      );
      return;
    }
    this.#restarts.push(now);
    console.error(`mlt: worker ${index} exited (${how}); starting it again`);
    this.#spawn(index).catch((e) => console.error(`mlt: ${(e as Error).message}`));
  }
}

/** In a copy: resolves when the first process closes our stdin (or dies). */
export async function parentGone(): Promise<void> {
  const buf = new Uint8Array(64);
  try {
    while ((await Deno.stdin.read(buf)) !== null) {
      // nothing is sent; only the end matters
    }
  } catch {
    // a closed or broken pipe means the same
  }
}
