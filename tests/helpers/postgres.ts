/**
 * Throwaway PostgreSQL clusters for tests: `initdb` in a temp dir, a server on a free loopback
 * port (its socket in that dir), a fresh database per test, and a stop that always runs (at the
 * end of the file's last test and, as a backstop, when the test process unloads). As root, the
 * server runs as the `postgres` user (initdb refuses root). A missing PostgreSQL fails the test.
 */

/** Where PostgreSQL's programs are: MLT_PG_BIN, else the newest /usr/lib/postgresql/<n>/bin. */
export function pgBin(): string {
  const env = Deno.env.get("MLT_PG_BIN");
  if (env) return env;
  let best: [number, string] | undefined;
  try {
    for (const e of Deno.readDirSync("/usr/lib/postgresql")) {
      const n = Number(e.name);
      const bin = `/usr/lib/postgresql/${e.name}/bin`;
      try {
        Deno.statSync(`${bin}/initdb`);
      } catch {
        continue;
      }
      if (Number.isFinite(n) && (!best || n > best[0])) best = [n, bin];
    }
  } catch { /* no folder: fall through */ }
  if (!best) {
    throw new Error(
      "PostgreSQL is not installed (no /usr/lib/postgresql/<n>/bin/initdb; set MLT_PG_BIN or " +
        "`apt-get install -y postgresql`)",
    );
  }
  return best[1];
}

const isRoot = Deno.uid() === 0;

// Runs a PostgreSQL program, as the postgres user when we are root.
function pgRun(prog: string, args: string[], allowFail = false): string {
  const bin = `${pgBin()}/${prog}`;
  const quoted = [bin, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  const cmd = isRoot
    ? new Deno.Command("su", { args: ["postgres", "-s", "/bin/sh", "-c", quoted] })
    : new Deno.Command("sh", { args: ["-c", quoted] });
  const out = cmd.outputSync();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success && !allowFail) throw new Error(`${prog} ${args.join(" ")} failed: ${text}`);
  return text;
}

/** A free loopback TCP port (free when asked: another process may take it before use). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** A running throwaway cluster. */
export class PgCluster {
  #n = 0;
  #running = false;
  constructor(readonly dir: string, readonly port: number) {}

  /** The URI of database `db` (user postgres; the password is ignored by trust auth). */
  url(db: string, opts: { password?: string; scheme?: string } = {}): string {
    const auth = opts.password === undefined ? "postgres" : `postgres:${opts.password}`;
    return `${opts.scheme ?? "postgresql"}://${auth}@127.0.0.1:${this.port}/${db}`;
  }

  /** True while the server runs. */
  get running(): boolean {
    return this.#running;
  }

  /** Starts the server (fsync off: the data are thrown away). */
  start(): void {
    pgRun("pg_ctl", [
      "-D",
      `${this.dir}/data`,
      "-l",
      `${this.dir}/pg.log`,
      "-o",
      `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off ` +
      "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300",
      "-w",
      "start",
    ]);
    this.#running = true;
  }

  /** Stops the server (fast: open sessions are ended). */
  stop(): void {
    if (!this.#running) return;
    pgRun("pg_ctl", ["-D", `${this.dir}/data`, "-m", "fast", "-w", "stop"], true);
    this.#running = false;
  }

  /** Runs SQL through psql on database `db` (default postgres); returns its output. */
  psql(sql: string, db = "postgres"): string {
    return pgRun("psql", [
      "-X",
      "-q",
      "-A",
      "-t",
      "-v",
      "ON_ERROR_STOP=1",
      "-h",
      this.dir,
      "-p",
      String(this.port),
      "-U",
      "postgres",
      "-d",
      db,
      "-c",
      sql,
    ]).trim();
  }

  /** Creates a fresh empty database and returns its name. */
  createDatabase(prefix = "t"): string {
    const name = `${prefix}_${++this.#n}_${Math.random().toString(36).slice(2, 8)}`;
    this.psql(`CREATE DATABASE ${name}`);
    return name;
  }

  /** `pg_dump --schema-only` of a database, without comments and SET lines. */
  schemaDump(db: string): string {
    return pgRun("pg_dump", [
      "--schema-only",
      "--no-owner",
      "--no-privileges",
      "-h",
      this.dir,
      "-p",
      String(this.port),
      "-U",
      "postgres",
      db,
    ]);
  }

  /** Stops the server and removes its folder. */
  destroy(): void {
    this.stop();
    try {
      Deno.removeSync(this.dir, { recursive: true });
    } catch { /* already gone */ }
  }
}

/** Creates and starts a cluster in a fresh temp dir. */
export function startCluster(): PgCluster {
  const dir = Deno.makeTempDirSync({ prefix: "mlt-pg-" });
  if (isRoot) {
    new Deno.Command("chown", { args: ["postgres:postgres", dir] }).outputSync();
  }
  Deno.chmodSync(dir, 0o700);
  const cluster = new PgCluster(dir, freePort());
  try {
    pgRun("initdb", [
      "-D",
      `${dir}/data`,
      "-A",
      "trust",
      "-U",
      "postgres",
      "--no-sync",
      "--locale=C.UTF-8",
      "-E",
      "UTF8",
    ]);
    cluster.start();
  } catch (e) {
    cluster.destroy();
    throw e;
  }
  return cluster;
}

let shared: PgCluster | undefined;

/**
 * The test file's cluster, started on first use and destroyed when the process unloads (and by
 * `stopSharedCluster`, which a file's last test calls).
 */
export function sharedCluster(): PgCluster {
  if (!shared) {
    shared = startCluster();
    globalThis.addEventListener("unload", () => shared?.destroy());
  }
  return shared;
}

/** Stops and removes the file's cluster (its last test calls this). */
export function stopSharedCluster(): void {
  shared?.destroy();
  shared = undefined;
}

/** A Deno test that runs last in its file and stops the cluster, whatever happened before. */
export function stopClusterTest(): void {
  Deno.test({
    name: "postgres: the throwaway cluster stops",
    sanitizeResources: false,
    sanitizeOps: false,
    fn: () => {
      const dir = shared?.dir;
      stopSharedCluster();
      if (dir) {
        let gone = false;
        try {
          Deno.statSync(dir);
        } catch {
          gone = true;
        }
        if (!gone) throw new Error(`the cluster folder ${dir} is still there`);
      }
    },
  });
}
