/**
 * SQLite's failures as mlt's errors: node:sqlite's error codes and messages sorted into kinds
 * (locked, corrupt, read-only, full, I/O), and the MltError each kind becomes (locked → 503
 * TEMPORARILY_UNAVAILABLE, never a 500). Imports nothing of SQLite itself.
 */
import { MltError } from "../../errors.ts";

type Kind = "busy" | "corrupt" | "notadb" | "readonly" | "full" | "io" | "other";

function kindOf(e: unknown): Kind {
  const err = e as { errcode?: number; errstr?: string; message?: string };
  const code = typeof err?.errcode === "number" ? err.errcode & 0xff : undefined;
  const msg = `${err?.errstr ?? ""} ${err?.message ?? ""}`;
  if (code === 5 || code === 6 || /database (table )?is locked|database is busy/.test(msg)) {
    return "busy";
  }
  if (code === 11 || /malformed/.test(msg)) return "corrupt";
  if (code === 26 || /not a database/.test(msg)) return "notadb";
  if (code === 8 || /readonly database/.test(msg)) return "readonly";
  if (code === 13 || /disk is full/.test(msg)) return "full";
  if (code === 10 || /disk I\/O error/.test(msg)) return "io";
  return "other";
}

/** True when `e` is SQLite's "database is locked". */
export function isBusy(e: unknown): boolean {
  return kindOf(e) === "busy";
}

/** Turns a node:sqlite failure into an MltError with a clear message; others pass through. */
export function sqliteFailure(e: unknown, display: string): unknown {
  if (e instanceof MltError || !(e instanceof Error)) return e;
  const detail = (e as { errstr?: string }).errstr ?? e.message;
  switch (kindOf(e)) {
    case "busy":
      return new MltError(
        "TEMPORARILY_UNAVAILABLE",
        `The database "${display}" is locked by another writer; try again later (${detail})`,
        { cause: e },
      );
    case "corrupt":
    case "notadb":
      return new MltError(
        "DATA_LOSS",
        `The database "${display}" is corrupted (${detail}): nothing was written. Restore it ` +
          "from a backup, or try `sqlite3 <file> .recover`.",
        { cause: e },
      );
    case "readonly":
      return new MltError(
        "PERMISSION_DENIED",
        `Cannot write to the database "${display}": ${detail}`,
        { cause: e },
      );
    case "full":
    case "io":
      return new MltError(
        "TEMPORARILY_UNAVAILABLE",
        `Cannot use the database "${display}": ${detail}`,
        { cause: e },
      );
  }
  return e;
}
