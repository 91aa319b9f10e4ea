/**
 * SQLite connections of the SQLite store: MLflow's startup protocol (reference §4.1: create the
 * schema on an empty file, check `alembic_version`), WAL (wal.ts), busy timeouts, write
 * transactions that begin IMMEDIATE and wait for the lock without blocking the event loop, and
 * SQLite's failures as MltError (sqlite_errors.ts: locked → 503 TEMPORARILY_UNAVAILABLE, never a
 * 500).
 */
import { DatabaseSync } from "node:sqlite";
import { MltError } from "../../errors.ts";
import {
  judgeSchema,
  MLFLOW_DDL,
  notMlflowError,
  REQUIRED_COLUMNS,
  SCHEMA_REVISION,
  SEED_ROWS,
} from "./schema.ts";
import type { SqlValue } from "./sql.ts";
import { registerFunctions } from "./sql_functions.ts";
import { GroupCommit } from "./group_commit.ts";
import { Statements } from "./statements.ts";
import { isBusy, sqliteFailure } from "./sqlite_errors.ts";
import {
  IDLE_CHECKPOINT_MS,
  IdleCheckpoint,
  isWal,
  setWal,
  WAL_CHECKPOINT_PAGES,
  WAL_RESTART_PAGES,
  walSize,
} from "./wal.ts";

export { Statements } from "./statements.ts";

/** How to open a database. */
export interface ConnectOptions {
  /** The tracking URI, for messages. */
  uri: string;
  /** How long a write waits for another process's lock before 503 (ms). */
  busyTimeoutMs: number;
  warn: (message: string) => void;
  now: () => number;
  /** Artifact location of experiment 0 when the database lacks it. */
  defaultLocation: () => string;
  /** How long the writer must be idle before it checkpoints the WAL (ms; tests shorten it). */
  idleCheckpointMs?: number;
}

// "SQLite format 3\0", the first 16 bytes of every database file.
const SQLITE_MAGIC = [...new TextEncoder().encode("SQLite format 3\u0000")];
/** MLflow's index for one run's metric history (migration a5b4c3d2e1f0). */
export const HISTORY_INDEX = "index_metrics_run_uuid_key_step";
// Sub-second synchronous busy waits: longer waits happen between event-loop turns (write()).
const WRITER_SPIN_MS = 25;
/**
 * Page caches of the writer and the reader (KiB). The writer's holds the B-tree pages that
 * inserts touch: on B3 (611 metric keys, each appending to its own leaf of the metrics primary
 * key and of latest_metrics) that is ~1,300 hot pages, ~5.5 MB. 8 MiB keeps them; a miss is one
 * pread of a page the OS has cached. Measured on B3 (800 requests, /proc/PID/io): 16 MiB 43
 * page reads per request, 8 MiB 87, 4 MiB 165. At a few µs a read, 8 MiB costs ~0.1–0.2 ms of
 * a ~5 ms request (an estimate: the measured CPU per request moved more than that from round to
 * round) and takes 7–15 MB off the server's peak RSS under B3 (docs/memory.md). 64 MiB (the size
 * before 16) bought nothing over 16.
 * The reader maps the file (mmap_size), so its own cache mostly holds pages still in the WAL: B4
 * search and B5 history timings did not change with 8, 16 or 64 MiB, nor the server's CPU per
 * history walk with 4 MiB, so it gets 4 MiB: after wide reads a server keeps 12 MiB less (B3,
 * mostly writes, peaks the same either way; docs/benchmarks.md).
 */
const WRITER_CACHE_KIB = 8192;
const READER_CACHE_KIB = 4096;
// The URI → file rule lives with the other URI rules, which need it without loading SQLite.
export { sqlitePath } from "../open_uri.ts";

function readHeader(path: string): Uint8Array | undefined {
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { read: true });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
  try {
    const buf = new Uint8Array(100);
    let n = 0;
    while (n < buf.length) {
      const got = file.readSync(buf.subarray(n));
      if (got === null) break;
      n += got;
    }
    return buf.subarray(0, n);
  } finally {
    file.close();
  }
}

// Refuses, before SQLite touches it, a non-empty file that is not an SQLite database.
function checkHeader(path: string, display: string): void {
  const head = readHeader(path);
  if (!head || head.length === 0) return;
  // Compared as bytes: a latin1 TextDecoder cost ~0.3 ms of every server's start.
  if (SQLITE_MAGIC.some((b, i) => head[i] !== b)) {
    throw new MltError(
      "INVALID_PARAMETER_VALUE",
      `Cannot open "${display}" as a tracking database: it is not an SQLite database ` +
        '(its first bytes are not "SQLite format 3"). Nothing was written.',
    );
  }
}

// The columns of the tables the schema check reads (alembic_version and those mlt uses), in one
// statement: a PRAGMA per table cost ~4 ms of a server's start, and all of MLflow's 60-odd tables
// ~0.7 ms more than these.
function tableColumns(db: DatabaseSync): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const rows = db.prepare(
    "SELECT m.name AS t, c.name AS c FROM sqlite_master AS m, pragma_table_info(m.name) AS c " +
      "WHERE m.type = 'table' AND m.name IN (SELECT value FROM json_each(?)) " +
      "ORDER BY m.name, c.cid",
  ).all(CHECKED_TABLES) as { t: string; c: string }[];
  for (const { t, c } of rows) {
    const cols = out.get(t);
    if (cols) cols.push(c);
    else out.set(t, [c]);
  }
  return out;
}

const CHECKED_TABLES = JSON.stringify(["alembic_version", ...Object.keys(REQUIRED_COLUMNS)]);

function createSchema(db: DatabaseSync): void {
  db.exec(MLFLOW_DDL);
  db.prepare("INSERT INTO alembic_version (version_num) VALUES (?)").run(SCHEMA_REVISION);
  for (const [table, { columns, rows }] of Object.entries(SEED_ROWS)) {
    const sql = `INSERT INTO ${table} (${columns.join(", ")}) VALUES (${
      columns.map(() => "?").join(", ")
    })`;
    for (const row of rows) db.prepare(sql).run(...(row as SqlValue[]));
  }
}

// MLflow inserts experiment 0 on startup when it is missing; so does mlt.
function ensureDefaultExperiment(db: DatabaseSync, opts: ConnectOptions): void {
  if (db.prepare("SELECT 1 FROM experiments WHERE experiment_id = 0").get()) return;
  const now = opts.now();
  db.prepare(
    "INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, " +
      "creation_time, last_update_time) VALUES (0, 'Default', ?, 'active', ?, ?)",
  ).run(opts.defaultLocation(), now, now);
}

/**
 * The open database: a writer (absent when read-only) and a reader connection. The reader opens
 * on its first use: a server's start reads on the writer, which has read the schema already.
 */
export class Connections {
  readonly display: string;
  readonly writer: Statements | undefined;
  /** Why writes are refused, when they are. */
  readonly readOnlyReason: string | undefined;
  #reader: Statements | undefined;
  #openReader: () => Statements;
  #indexes: { history: boolean; metricsKey: string | undefined } | undefined;
  #group: GroupCommit | undefined;
  #closed = false;
  #idle: IdleCheckpoint | undefined;

  constructor(readonly path: string, opts: ConnectOptions) {
    this.display = path;
    const memory = path === ":memory:";
    if (!memory) checkHeader(path, this.display);
    const writer = openWriter(path, opts.busyTimeoutMs);
    try {
      this.readOnlyReason = this.#startup(writer, opts, memory);
    } catch (e) {
      writer.close();
      throw sqliteFailure(e, this.display);
    }
    this.#openReader = () => {
      const reader = new Statements(openReader(path, opts.busyTimeoutMs));
      registerFunctions(reader.db);
      return reader;
    };
    if (this.readOnlyReason) {
      writer.close();
      this.writer = undefined;
      // The only connection: opened now, so that a file it cannot read fails the start.
      this.#reader = this.#openReader();
    } else {
      writer.exec(`PRAGMA busy_timeout = ${WRITER_SPIN_MS}`);
      // A bigger page cache than SQLite's 2 MiB halves the cost of inserting into the metrics
      // primary key (deno-stack §1d); more did not help (see WRITER_CACHE_KIB).
      writer.exec(`PRAGMA cache_size = -${WRITER_CACHE_KIB}`);
      this.writer = new Statements(writer);
      if (isWal(writer)) {
        writer.exec(`PRAGMA wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`);
        // A WAL that one huge transaction grew past the bound is cut back when it restarts.
        const pageSize = this.writer.one<{ page_size: number }>("PRAGMA page_size")?.page_size;
        writer.exec(`PRAGMA journal_size_limit = ${WAL_CHECKPOINT_PAGES * (pageSize ?? 4096)}`);
        // PASSIVE: copies what it can without waiting for readers or writers of any process.
        const walLimit = WAL_RESTART_PAGES * (pageSize ?? 4096);
        this.#idle = new IdleCheckpoint(
          () => writer.exec("PRAGMA wal_checkpoint(PASSIVE)"),
          () => this.#group?.busy ?? false,
          opts.idleCheckpointMs ?? IDLE_CHECKPOINT_MS,
          opts.warn,
          this.display,
          () => walSize(path) > walLimit,
          () => {
            // Tried after commits while the WAL is too big; never waits for the lock here.
            writer.exec("PRAGMA busy_timeout = 0");
            try {
              writer.exec("PRAGMA wal_checkpoint(RESTART)");
            } finally {
              writer.exec(`PRAGMA busy_timeout = ${WRITER_SPIN_MS}`);
            }
          },
        );
      }
      const idle = this.#idle;
      this.#group = new GroupCommit(
        this.writer,
        opts.busyTimeoutMs,
        isBusy,
        (e) => sqliteFailure(e, this.display),
        idle ? () => idle.wrote() : undefined,
      );
      if (memory) {
        // One connection: a second one would open another, empty, in-memory database.
        this.#reader = this.writer;
        registerFunctions(writer);
      }
    }
  }

  /** The reader connection (opened on first use; the writer itself for `:memory:`). */
  get reader(): Statements {
    if (this.#closed) throw new MltError("INTERNAL_ERROR", "The SQLite store is closed");
    return this.#reader ??= this.#openReader();
  }

  /** True when MLflow's (run_uuid, key, step) index on metrics exists (it does at the pin). */
  get hasHistoryIndex(): boolean {
    return this.#probeIndexes().history;
  }

  /** The index of metrics' primary key when it is MLflow's (key, timestamp, step, run_uuid, …). */
  get metricsKeyIndex(): string | undefined {
    return this.#probeIndexes().metricsKey;
  }

  // Asked once, of the writer when there is one (its schema is read already).
  #probeIndexes(): { history: boolean; metricsKey: string | undefined } {
    if (this.#indexes) return this.#indexes;
    const probe = this.writer ?? this.reader;
    const history = probe.one(
      "SELECT 1 AS x FROM sqlite_master WHERE type = 'index' AND name = ?",
      HISTORY_INDEX,
    ) !== undefined;
    return this.#indexes = { history, metricsKey: metricsKeyIndex(probe) };
  }

  // Creates or checks the schema; returns why the database must stay read-only, if it must.
  #startup(db: DatabaseSync, opts: ConnectOptions, memory: boolean): string | undefined {
    db.exec("PRAGMA foreign_keys = ON");
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all();
    if (tables.length === 0) {
      if (!memory) setWal(db, opts.warn, this.display);
      immediate(db, () => {
        // Another process may have created the schema while this one waited for the lock.
        if (!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table'").get()) {
          createSchema(db);
        }
        ensureDefaultExperiment(db, opts);
      });
      return undefined;
    }
    const columns = tableColumns(db);
    if (!columns.has("alembic_version")) throw notMlflowError(this.display);
    const row = db.prepare("SELECT version_num FROM alembic_version").get() as
      | { version_num: string }
      | undefined;
    const revision = row?.version_num ?? "(none)";
    const readOnly = judgeSchema(this.display, opts.uri, revision, columns, opts.warn);
    if (readOnly) return readOnly;
    if (!memory) setWal(db, opts.warn, this.display);
    if (!db.prepare("SELECT 1 FROM experiments WHERE experiment_id = 0").get()) {
      immediate(db, () => ensureDefaultExperiment(db, opts));
    }
    return undefined;
  }

  /**
   * Runs `fn` in a write transaction (BEGIN IMMEDIATE … COMMIT), grouped with the other writes
   * queued alongside it, each in its own savepoint (group_commit.ts). A lock held by another
   * process is waited for up to the busy timeout, then TEMPORARILY_UNAVAILABLE (503).
   */
  write<T>(fn: (w: Statements) => T): Promise<T> {
    if (!this.#group) {
      return Promise.reject(new MltError("PERMISSION_DENIED", this.readOnlyReason!));
    }
    if (this.#closed) {
      return Promise.reject(new MltError("INTERNAL_ERROR", "The SQLite store is closed"));
    }
    return this.#group.write(fn);
  }

  /** Runs a read on the reader connection, mapping SQLite failures. */
  read<T>(fn: (r: Statements) => T): T {
    try {
      return fn(this.reader);
    } catch (e) {
      throw sqliteFailure(e, this.display);
    }
  }

  /**
   * Runs a small read on the writer while it holds no transaction (it sees what is committed,
   * as the reader would), else on the reader: the server's start banner, which then needs
   * neither the reader's connection nor its reading of the schema.
   */
  readOnWriter<T>(fn: (r: Statements) => T): T {
    const w = this.writer;
    if (!w || this.#closed || w.db.isTransaction) return this.read(fn);
    try {
      return fn(w);
    } catch (e) {
      throw sqliteFailure(e, this.display);
    }
  }

  /** Closes both connections (the writer last, so it checkpoints and removes the WAL). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#idle?.stop();
    if (this.#reader && this.#reader !== this.writer) this.#reader.db.close();
    this.writer?.db.close();
  }
}

// The primary key index of metrics, when it orders one key's points by timestamp then step (the
// history pages' keyset walk relies on that order); undefined for other schemas.
function metricsKeyIndex(s: Statements): string | undefined {
  const pk = s.one<{ name: string }>(
    "SELECT name FROM pragma_index_list('metrics') WHERE origin = 'pk'",
  );
  if (!pk) return undefined;
  const cols = s.all<{ name: string }>(
    "SELECT name FROM pragma_index_info(?) ORDER BY seqno",
    pk.name,
  ).map((c) => c.name).join(",");
  return cols === "key,timestamp,step,run_uuid,value,is_nan" ? pk.name : undefined;
}

// Runs `fn` in a BEGIN IMMEDIATE transaction (start-up only; requests go through GroupCommit).
function immediate(db: DatabaseSync, fn: () => void): void {
  db.exec("BEGIN IMMEDIATE");
  try {
    fn();
    db.exec("COMMIT");
  } catch (e) {
    db.exec("ROLLBACK");
    throw e;
  }
}

// SQLite cannot create a file in a missing or closed directory: one clear line at start, not a
// stack trace ("unable to open database file").
function openWriter(path: string, busyTimeoutMs: number): DatabaseSync {
  try {
    return new DatabaseSync(path, { timeout: busyTimeoutMs });
  } catch (e) {
    const err = e as { errcode?: number; message?: string };
    const cantOpen = ((err?.errcode ?? 0) & 0xff) === 14 ||
      /unable to open/.test(err?.message ?? "");
    if (!cantOpen) throw e;
    throw new MltError(
      "INVALID_PARAMETER_VALUE",
      `Cannot open the database "${path}": SQLite cannot open or create the file (does its ` +
        "directory exist, and may mlt create files there?)",
      { cause: e },
    );
  }
}

// The reader never writes: query_only refuses writes at the SQLite level.
function openReader(path: string, busyTimeoutMs: number): DatabaseSync {
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(path, { timeout: busyTimeoutMs });
  } catch {
    db = new DatabaseSync(path, { readOnly: true, timeout: busyTimeoutMs });
  }
  db.exec("PRAGMA query_only = ON");
  // Long histories and wide searches read many pages: map the file; the cache holds what the
  // map cannot serve (pages still in the WAL).
  db.exec(`PRAGMA cache_size = -${READER_CACHE_KIB}; PRAGMA mmap_size = 268435456`);
  return db;
}
