/**
 * PostgreSQL failures → MltError. An unreachable, restarting or overloaded server is 503
 * TEMPORARILY_UNAVAILABLE (MLflow's client retries 5xx, and the next request reconnects); bad
 * values a client sent (a NUL byte, an over-long string) are 400; messages never hold the URI's
 * password (they name the database as `host:port/db`).
 */
import { MltError } from "../../errors.ts";

/** The fields of a postgres.js error that matter here. */
interface PgErrorLike {
  code?: string;
  message?: string;
  errno?: number;
}

// Node/Deno socket errors and postgres.js's own connection codes.
const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
]);

/** True when `e` says the server could not be reached or went away (worth a 503 and a retry). */
export function isUnavailable(e: unknown): boolean {
  const code = (e as PgErrorLike)?.code;
  if (typeof code !== "string") return false;
  // 08: connection exceptions; 57P01-03: shutdown, crash, starting up; 53: out of resources
  // (too many connections); 25006: a read-only standby after a failover.
  return CONNECTION_CODES.has(code) || code.startsWith("08") || /^57P0[1-3]$/.test(code) ||
    code.startsWith("53") || code === "25006";
}

/** True for a serialization failure or deadlock: the transaction may simply run again. */
export function isRetryable(e: unknown): boolean {
  const code = (e as PgErrorLike)?.code;
  return code === "40001" || code === "40P01";
}

/** True for a unique-key violation (another writer got there first). */
export function isUniqueViolation(e: unknown, constraint?: string): boolean {
  const err = e as PgErrorLike & { constraint_name?: string };
  return err?.code === "23505" && (!constraint || err.constraint_name === constraint);
}

/** Turns a postgres.js failure into an MltError with a clear message; others pass through. */
export function pgFailure(e: unknown, display: string): unknown {
  if (e instanceof MltError || e === null || typeof e !== "object") return e;
  const err = e as PgErrorLike;
  const detail = err.message ?? String(e);
  if (isUnavailable(e) || isRetryable(e)) {
    return new MltError(
      "TEMPORARILY_UNAVAILABLE",
      `The PostgreSQL database "${display}" is unavailable; try again later (${detail})`,
      { cause: e },
    );
  }
  const code = err.code ?? "";
  // 22: data exceptions (invalid byte sequence, value too long, out of range), 23502 not null.
  if (code.startsWith("22") || code === "23502") {
    return new MltError("INVALID_PARAMETER_VALUE", `Invalid value: ${detail}`, { cause: e });
  }
  if (code === "28P01" || code === "28000" || code === "42501") {
    return new MltError(
      "PERMISSION_DENIED",
      `Cannot use the PostgreSQL database "${display}": ${detail}`,
      { cause: e },
    );
  }
  if (code === "3D000") {
    return new MltError(
      "INVALID_STATE",
      `Cannot open the PostgreSQL database "${display}": ${detail} (create it first, e.g. ` +
        "`createdb`)",
      { cause: e },
    );
  }
  return e;
}
