/**
 * The servers of bench/postgres_bench.ts on one PostgreSQL cluster: `mlt server`, `mlflow server
 * --workers 2` and FastTrackML (`fml server`), each started in its own process group and stopped
 * with it, plus the CPU time a server's process tree and the cluster's processes have spent (so
 * a row can show CPU per request, less sensitive to the machine's load than wall time).
 */
import { freePort } from "../tests/helpers/postgres.ts";

/** A started server. */
export interface Server {
  url: string;
  child: Deno.ChildProcess;
}

/** Where the servers' programs are and where they work. */
export interface ServerSetup {
  repo: string;
  python: string;
  fml: string;
  /** The servers' working folder (their default artifact roots land there). */
  work: string;
}

/** Servers started and not yet stopped. */
export const live = new Set<Server>();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Starts a server in its own process group and waits (up to 2 min) for /health.
async function start(argv: string[], port: number, work: string): Promise<Server> {
  const child = new Deno.Command("setsid", {
    args: argv,
    cwd: work,
    env: { MLFLOW_DISABLE_TELEMETRY: "true", DO_NOT_TRACK: "true", NO_COLOR: "1" },
    stdout: "null",
    stderr: "null",
  }).spawn();
  const url = `http://127.0.0.1:${port}`;
  const s = { url, child };
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${url}/health`);
      await res.body?.cancel();
      if (res.ok) {
        live.add(s);
        return s;
      }
    } catch { /* not yet */ }
    await sleep(200);
  }
  stop(s);
  throw new Error(`${argv.join(" ")} did not start`);
}

/** Stops a server's process group (SIGTERM, then SIGKILL after 10 s). */
export function stop(s: Server): Promise<Deno.CommandStatus> {
  live.delete(s);
  for (const sig of ["SIGTERM", "SIGKILL"] as const) {
    setTimeout(() => {
      try {
        Deno.kill(-s.child.pid, sig);
      } catch { /* gone */ }
    }, sig === "SIGTERM" ? 0 : 10_000);
  }
  return s.child.status;
}

/** The servers' kinds. */
export type Name = "mlt" | "mlflow" | "fml";

/** Starts a server of kind `name` on the database at `url` (a `postgresql://` URI). */
export function startServer(name: Name, url: string, setup: ServerSetup): Promise<Server> {
  const port = freePort();
  const common = ["server", "--host", "127.0.0.1", "--port", String(port), "--backend-store-uri"];
  const argv: Record<Name, () => string[]> = {
    mlt: () => [Deno.execPath(), "run", "-A", `${setup.repo}main.ts`, ...common, url],
    mlflow: () => [
      setup.python,
      "-m",
      "mlflow",
      ...common,
      url.replace("postgresql://", "postgresql+psycopg2://"),
      "--workers",
      "2",
    ],
    fml: () => [
      setup.fml,
      "server",
      "--listen-address",
      `127.0.0.1:${port}`,
      "--database-uri",
      url.replace("postgresql://", "postgres://"),
      "--default-artifact-root",
      `${setup.work}/fml-artifacts`,
    ],
  };
  return start(argv[name](), port, setup.work);
}

const TICK_MS = 10; // USER_HZ is 100 on Linux

// utime + stime + cutime + cstime of a process, in ms: its own CPU and that of its reaped children.
function ownCpu(pid: number): number {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * TICK_MS;
  } catch {
    return 0; // gone
  }
}

// Every process's parent, read once.
function parents(): Map<number, number> {
  const m = new Map<number, number>();
  for (const e of Deno.readDirSync("/proc")) {
    const pid = Number(e.name);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
      m.set(pid, Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch { /* gone */ }
  }
  return m;
}

/** CPU time (ms) spent so far by the process trees rooted at `roots`, reaped children included. */
export function treeCpuMs(roots: number[]): number {
  const up = parents();
  const inTree = (pid: number): boolean => {
    for (let p: number | undefined = pid; p; p = up.get(p)) if (roots.includes(p)) return true;
    return false;
  };
  let ms = 0;
  for (const pid of up.keys()) if (inTree(pid)) ms += ownCpu(pid);
  return ms;
}

/** The postmaster's pid of the cluster in `dir` (the first line of postmaster.pid). */
export function postmasterPid(dir: string): number {
  return Number(Deno.readTextFileSync(`${dir}/data/postmaster.pid`).split("\n")[0]);
}
