/**
 * The environment cache under `~/.mlt/envs` (or MLT_ENV_ROOT): one directory per environment
 * spec, built under an OS lock so parallel `mlt run`s build it once, marked ready only when
 * complete and removed when creation fails. Also the small process helpers env_setup.ts uses.
 */
import { join } from "node:path";
import { MltError } from "../errors.ts";

const READY = ".mlt-env-ready";

/** SHA-256 of `text`, hex. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The directory `<root>/<name>`: reused when a previous creation completed, otherwise created by
 * `create` (which gets the empty path); a failed creation leaves nothing behind.
 */
export async function cachedEnv(
  root: string,
  name: string,
  what: string,
  log: (line: string) => void,
  create: (dir: string) => Promise<void>,
): Promise<string> {
  await Deno.mkdir(root, { recursive: true });
  const dir = join(root, name);
  const lock = await Deno.open(join(root, `${name}.lock`), {
    read: true,
    write: true,
    create: true,
  });
  try {
    await lock.lock(true);
    if (await exists(join(dir, READY))) {
      log(`=== Using the cached ${what} ${dir} ===`);
      return dir;
    }
    // A creation that died half-way (the lock was released with its process).
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    const started = Date.now();
    try {
      await create(dir);
      await Deno.writeTextFile(join(dir, READY), `${new Date().toISOString()}\n`);
    } catch (e) {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      throw e;
    }
    log(`=== Created the ${what} ${dir} in ${((Date.now() - started) / 1000).toFixed(1)} s ===`);
    return dir;
  } finally {
    lock.close(); // closing releases the flock
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await Deno.stat(p);
    return true;
  } catch {
    return false;
  }
}

/** The executable `name` on `path` (a PATH value), or undefined. */
export function which(name: string, path: string | undefined): string | undefined {
  if (name.includes("/")) return name;
  for (const dir of (path ?? "").split(":")) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      const st = Deno.statSync(p);
      if (st.isFile && st.mode !== null && (st.mode & 0o111) !== 0) return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Options of `runStep`. */
export interface StepOptions {
  cwd?: string;
  env: Record<string, string>;
  /** Each line the step prints (stdout and stderr) goes here, as progress. */
  log: (line: string) => void;
}

/** Runs one setup command, streaming its output as progress; throws when it fails. */
export async function runStep(argv: string[], opts: StepOptions): Promise<void> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(argv[0], {
      args: argv.slice(1),
      cwd: opts.cwd,
      env: opts.env,
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (e) {
    throw new MltError("INTERNAL_ERROR", `Cannot run "${argv[0]}": ${(e as Error).message}`);
  }
  const tail: string[] = [];
  const lines = async (stream: ReadableStream<Uint8Array>) => {
    let rest = "";
    const dec = new TextDecoder();
    for await (const bytes of stream) {
      const parts = (rest + dec.decode(bytes, { stream: true })).split(/\r?\n|\r/);
      rest = parts.pop()!;
      for (const l of parts) emit(l);
    }
    if (rest) emit(rest);
  };
  const emit = (line: string) => {
    if (!line.trim()) return;
    opts.log(`  ${line}`);
    tail.push(line);
    if (tail.length > 5) tail.shift();
  };
  const [status] = await Promise.all([child.status, lines(child.stdout), lines(child.stderr)]);
  if (!status.success) {
    const how = status.signal ? `was killed by ${status.signal}` : `exited with ${status.code}`;
    throw new MltError(
      "INVALID_STATE",
      `Cannot create the environment: \`${argv.join(" ")}\` ${how}` +
        (tail.length ? `: ${tail[tail.length - 1]}` : ""),
    );
  }
}

/** Runs `argv` and returns its trimmed stdout, or undefined when it cannot run or fails. */
export async function probe(
  argv: string[],
  env: Record<string, string>,
): Promise<string | undefined> {
  try {
    const out = await new Deno.Command(argv[0], {
      args: argv.slice(1),
      env,
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "null",
      signal: AbortSignal.timeout(30_000),
    }).output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : undefined;
  } catch {
    return undefined;
  }
}
