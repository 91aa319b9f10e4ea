/**
 * Where and when a benchmark ran, recorded beside its figures in the JSON a bench script writes
 * (bench/report.ts turns it into the heading of each table in docs/benchmarks.md).
 */
import { join } from "node:path";
import { installRunFlags } from "../tools/bundle.ts";

/** The context of one benchmark run: its command, machine, versions, load and dates. */
export interface BenchContext {
  command: string;
  started: string;
  finished: string;
  machine: string;
  load: { start: string; end: string };
  versions: Record<string, string>;
}

/** The first line a command prints (stdout, then stderr), or why it could not run. */
export async function firstLine(cmd: string[]): Promise<string> {
  try {
    const out = await new Deno.Command(cmd[0], {
      args: cmd.slice(1),
      stdout: "piped",
      stderr: "piped",
    })
      .output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    return text.trim().split("\n")[0];
  } catch (e) {
    return `unavailable (${(e as Error).message})`;
  }
}

const loadavg = () => Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");

/**
 * Records the start of a run: the command line, the machine (cores, memory, CPU model) and the
 * version of Deno plus each named command's first line of output; `finish()` adds the end.
 */
export async function benchContext(
  command: string,
  tools: Record<string, string[] | undefined> = {},
): Promise<{ finish(): BenchContext }> {
  const started = new Date().toISOString();
  const load = loadavg();
  const mem = /MemTotal:\s+(\d+)/.exec(Deno.readTextFileSync("/proc/meminfo"))![1];
  const cpu = /model name\s*:\s*(.+)/.exec(Deno.readTextFileSync("/proc/cpuinfo"))?.[1] ?? "?";
  const versions: Record<string, string> = { deno: Deno.version.deno };
  for (const [name, cmd] of Object.entries(tools)) if (cmd) versions[name] = await firstLine(cmd);
  const machine = `${navigator.hardwareConcurrency} cores (${cpu.trim()}), ${
    (Number(mem) / 1048576).toFixed(0)
  } GiB, ${Deno.build.os}`;
  return {
    finish: () => ({
      command: command.trim(),
      started,
      finished: new Date().toISOString(),
      machine,
      load: { start: load, end: loadavg() },
      versions,
    }),
  };
}

// deno.json's install task of the checkout `dir`.
function installTask(dir: string): string {
  const config = JSON.parse(Deno.readTextFileSync(`${dir.replace(/\/$/, "")}/deno.json`));
  return String(config.tasks?.install ?? "");
}

/**
 * The `--v8-flags=…` of deno.json's install task in the checkout `dir`: the flags the installed
 * `mlt` runs with, which the benchmarks give every mlt they start.
 */
export function mltV8Flags(dir: string): string[] {
  return installRunFlags(installTask(dir)).filter((w) => w.startsWith("--v8-flags="));
}

/** How the installed `mlt` of a checkout runs: Deno's flags besides V8's, and its main module. */
export interface InstalledMlt {
  /** Unstable features and configuration (`--unstable-…`, `--no-config`). */
  deno: string[];
  /** The bundle the install task builds (tools/bundle.ts), else the checkout's main.ts. */
  main: string;
}

const installed = new Map<string, Promise<InstalledMlt>>();

/**
 * What deno.json's install task of checkout `dir` installs, for the benchmarks to start as users
 * do: a checkout that installs a bundle gets one built into a temporary folder (removed when
 * this process ends); an older one runs its main.ts.
 */
export function installedMlt(dir: string): Promise<InstalledMlt> {
  let found = installed.get(dir);
  if (!found) installed.set(dir, found = buildInstalled(dir));
  return found;
}

async function buildInstalled(dir: string): Promise<InstalledMlt> {
  const task = installTask(dir);
  const deno = installRunFlags(task).filter((w) => !w.startsWith("--v8-flags="));
  if (!task.split(" ").includes("tools/bundle.ts")) return { deno, main: join(dir, "main.ts") };
  const out = await Deno.makeTempDir({ prefix: "mlt-bench-bundle-" });
  globalThis.addEventListener("unload", () => Deno.removeSync(out, { recursive: true }));
  const built = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "tools/bundle.ts", "--outdir", join(out, "mlt")],
    cwd: dir,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!built.success) {
    throw new Error(`bundling ${dir} failed: ${new TextDecoder().decode(built.stderr)}`);
  }
  return { deno, main: join(out, "mlt", "main.js") };
}
