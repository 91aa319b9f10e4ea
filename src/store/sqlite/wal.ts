/**
 * The SQLite store's write-ahead log: switching a database to WAL at start, and when the writer
 * checkpoints it (IdleCheckpoint). Used by connection.ts only.
 */
import type { DatabaseSync } from "node:sqlite";
import { isBusy } from "./sqlite_errors.ts";

/**
 * WAL checkpoints. A checkpoint copies the WAL's pages into the database file and fsyncs both
 * files; it runs on the committing connection, so on the writer it blocks the event loop, and
 * the two fsyncs cost ~20 ms however few the pages (measured: 1,000 pages 20–78 ms, 16,000 pages
 * ~60 ms, 2–8 ms without the fsyncs). With SQLite's default (every 1,000 pages, inside COMMIT)
 * checkpoints took ~40% of the writer's time on B3. So:
 * - the writer checkpoints (PASSIVE: it neither waits for nor blocks other connections) once it
 *   has been idle for IDLE_CHECKPOINT_MS after writing, so that bursts start on an empty WAL and
 *   an idle database file holds everything;
 * - SQLite's own auto-checkpoint stays as the bound for a writer that is never idle, at
 *   WAL_CHECKPOINT_PAGES: fewer, larger checkpoints (a page that many commits rewrite is copied
 *   once), but longer stalls. B3 req/s (median of 4–5): 279 at 1,000 pages, ~305–330 at 4,096,
 *   ~330–380 at 8,192; a sequential writer's p95 (B2, 1,000-point batches): 22, 32 and 42 ms.
 * Other processes on the file keep their own auto-checkpoint (it is per connection). Durability
 * is that of WAL with synchronous = NORMAL either way: when checkpoints run does not change what
 * a crash can lose.
 */
export const WAL_CHECKPOINT_PAGES = 4096;
/** WAL size (pages) past which the writer forces a RESTART checkpoint (see IdleCheckpoint). */
export const WAL_RESTART_PAGES = 4 * WAL_CHECKPOINT_PAGES;
export const IDLE_CHECKPOINT_MS = 500;

// WAL lets readers run during a write; NORMAL sync is durable across process crashes in WAL.
export function setWal(db: DatabaseSync, warn: (m: string) => void, display: string): void {
  let mode: string | undefined;
  // Switching needs every other connection gone; waiting the whole busy timeout would stall startup.
  const timeout = (db.prepare("PRAGMA busy_timeout").get() as { timeout: number }).timeout;
  db.exec("PRAGMA busy_timeout = 200");
  try {
    mode = (db.prepare("PRAGMA journal_mode = WAL").get() as { journal_mode?: string })
      ?.journal_mode;
  } catch (e) {
    if (!isBusy(e)) throw e;
  } finally {
    db.exec(`PRAGMA busy_timeout = ${Number(timeout)}`);
  }
  if (mode === "wal") db.exec("PRAGMA synchronous = NORMAL");
  else {
    // Another process (e.g. MLflow) has the database open in rollback-journal mode: keep it.
    warn(
      `Could not switch "${display}" to WAL mode (it is in use); continuing in ${
        mode ?? "its"
      } mode`,
    );
  }
}

// Bytes of the WAL file beside `path` (0 when there is none).
export function walSize(path: string): number {
  try {
    return Deno.statSync(`${path}-wal`).size;
  } catch {
    return 0;
  }
}

export function isWal(db: DatabaseSync): boolean {
  const row = db.prepare("PRAGMA journal_mode").get() as { journal_mode?: string } | undefined;
  return row?.journal_mode === "wal";
}

/**
 * Runs `checkpoint` once the writer has been idle for `idleMs` after its last commit: one
 * unreferenced timer (it never keeps the process alive), re-armed instead of reset on each write.
 * A failing checkpoint (the file locked by another process's checkpoint, an I/O error…) never
 * fails a write: the next idle period or SQLite's auto-checkpoint tries again.
 *
 * While writes go on, after each commit that leaves the WAL past its bound, `restart` tries a
 * RESTART checkpoint without waiting. Passive checkpoints (SQLite's automatic ones included)
 * cannot let the WAL start over while another connection reads an older snapshot or writes, and
 * with several processes on the file (`mlt server --workers`, or mlt beside MLflow) one almost
 * always does: under B3 with two workers the WAL grew to 2.3 GB. Trying after every commit (about
 * one in seven attempts finds the file free) kept it under 190 MB, at the same requests/s; the
 * next commit after a RESTART writes from the WAL's start and journal_size_limit trims the file.
 */
export class IdleCheckpoint {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #last = 0;
  #pending = false;
  #warned = false;

  constructor(
    readonly checkpoint: () => unknown,
    readonly writing: () => boolean,
    readonly idleMs: number,
    readonly warn: (message: string) => void,
    readonly display: string,
    readonly oversized: () => boolean = () => false,
    readonly restart: () => unknown = () => {},
  ) {}

  /** Records a commit. */
  wrote(): void {
    this.#last = Date.now();
    this.#pending = true;
    if (this.#timer === undefined) this.#arm(this.idleMs);
    if (this.oversized()) this.#run(this.restart);
  }

  /** Cancels the timer (the connection closes). */
  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending = false;
  }

  #arm(ms: number): void {
    const timer = setTimeout(() => this.#fire(), ms);
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }

  #fire(): void {
    this.#timer = undefined;
    if (!this.#pending) return;
    const left = this.#last + this.idleMs - Date.now();
    if (left > 0 || this.writing()) {
      this.#arm(Math.max(left, 1));
      return;
    }
    this.#pending = false;
    this.#run(this.checkpoint);
  }

  #run(checkpoint: () => unknown): void {
    try {
      checkpoint();
    } catch (e) {
      if (isBusy(e) || this.#warned) return;
      this.#warned = true;
      this.warn(`Could not checkpoint the WAL of "${this.display}" (writes go on): ${e}`);
    }
  }
}
