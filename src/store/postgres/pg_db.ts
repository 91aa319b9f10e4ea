/**
 * The PostgreSQL store's connections: a postgres.js pool behind a bounded gate (pg_gate.ts),
 * reads on any pooled connection, writes in one transaction each (retried on a serialization
 * failure or deadlock), the schema start-up protocol run once before the first operation (and
 * again after a failed attempt: a server started while PostgreSQL is down recovers by itself),
 * and failures mapped to MltError (pg_errors.ts). SQL is written with `?` placeholders, as the
 * SQLite store's (sql.ts is shared); they become `$1…` here.
 */
import postgres from "postgres";
import { MltError } from "../../errors.ts";
import { Gate } from "./pg_gate.ts";
import { isRetryable, pgFailure } from "./pg_errors.ts";
import { type SchemaOptions, startSchema } from "./pg_schema.ts";
import type { SqlValue } from "../sqlite/sql.ts";

/** A value postgres.js binds: SQLite's, plus booleans and arrays (for `unnest`). */
export type PgValue = SqlValue | boolean | readonly (string | number | boolean | null)[];

/** Queries on one connection or transaction, with `?` placeholders. */
export interface Q {
  /** All rows as objects. */
  all<T>(sql: string, ...params: PgValue[]): Promise<T[]>;
  /** The first row, or undefined. */
  one<T>(sql: string, ...params: PgValue[]): Promise<T | undefined>;
  /** All rows as arrays of column values. */
  arrays(sql: string, ...params: PgValue[]): Promise<unknown[][]>;
  /** Runs a statement; the number of rows it changed. */
  run(sql: string, ...params: PgValue[]): Promise<number>;
  /**
   * `one()` of a statement whose best plan does not depend on its values (lookups by a list of
   * ids), with the plan PostgreSQL keeps per connection instead of a custom plan each time.
   */
  oneGeneric<T>(sql: string, ...params: PgValue[]): Promise<T | undefined>;
}

/** Options of the pool. */
export interface PgPoolOptions {
  /** Connections in the pool (default 10). */
  poolSize?: number;
  /** Operations that may wait for a connection before 503 (default 64 per connection). */
  queueLimit?: number;
  /** Longest wait for a connection before 503, in ms (default 30000). */
  queueWaitMs?: number;
  /** Seconds to wait for a new connection (default 10). */
  connectTimeoutS?: number;
}

/** A bound JSON array of ids as a FROM item (`j.value`, `j.n` from 1) to join rows to. */
export const IDS = "jsonb_array_elements_text(?::text::jsonb) WITH ORDINALITY AS j(value, n)";
/** The position (from 0) of a row's id in IDS. */
export const IDX = "(j.n - 1)::int";

/**
 * IDS (or another FROM item `ids` named j) joined to the rows of `table` (as `alias`) that `test`
 * picks for the id `j.value`, looked up through the table's index id by id (the subquery's OFFSET
 * 0 keeps the planner from flattening it). A plain join let the planner hash a scan of the whole
 * table instead: cheaper in its cost model for 100 runs of 10,000, and 5-10× slower on a cached
 * table.
 */
export function eachId(table: string, alias: string, test: string, cols = "*", ids = IDS): string {
  return `${ids} CROSS JOIN LATERAL (SELECT ${cols} FROM ${table} ${alias} WHERE ${test} ` +
    `OFFSET 0) ${alias}`;
}

/**
 * The text of a PostgreSQL array of `values`, bound to a `?::type[]` parameter (postgres.js passes
 * a string for an array type through). postgres.js writes an array by quoting each element and
 * running two regular expressions over it, ~0.5 ms of a 1,000-point log-batch's five columns;
 * here numbers are written bare and a string is escaped only when it holds `"` or `\`.
 */
export function pgArray(values: readonly (string | number)[]): string {
  let out = "{";
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (i > 0) out += ",";
    if (typeof v === "number") out += String(v);
    else if (v.includes('"') || v.includes("\\")) out += `"${v.replace(/[\\"]/g, "\\$&")}"`;
    else out += `"${v}"`;
  }
  return out + "}";
}

const numbered = new Map<string, string>();

/** `?` placeholders → `$1, $2, …` (cached per text); our SQL never holds `?` in a literal. */
export function toDollars(sql: string): string {
  let out = numbered.get(sql);
  if (out === undefined) {
    let n = 0;
    out = sql.replace(/\?/g, () => `$${++n}`);
    if (numbered.size > 2000) numbered.clear();
    numbered.set(sql, out);
  }
  return out;
}

/** The URI postgres.js reads: SQLAlchemy's driver suffixes dropped. */
export function connectionUri(uri: string): string {
  return uri.replace(/^postgres(ql)?(\+psycopg2?)?:/i, "postgresql:");
}

/** `host:port/database` of a URI: how messages name it, without credentials. */
export function displayName(uri: string): string {
  try {
    const u = new URL(connectionUri(uri));
    return `${u.hostname || "localhost"}:${u.port || "5432"}${u.pathname || "/"}`;
  } catch {
    return "(invalid PostgreSQL URI)";
  }
}

// int8 (BIGINT) as a JS number: MLflow's times and steps (a 64-bit step comes back as the
// nearest double, as the SQLite store answers it).
const TYPES = {
  bigint: {
    to: 20,
    from: [20],
    serialize: (x: unknown) => String(x),
    parse: (x: string) => Number(x),
  },
};

type Sql = postgres.Sql<Record<string, never>>;
type Tx = postgres.TransactionSql<Record<string, never>>;

// The session's plan_cache_mode for one statement (see oneGeneric), and back to the connection's.
const GENERIC = "SET plan_cache_mode = force_generic_plan";
const CUSTOM = "RESET plan_cache_mode";

function queries(sql: Sql | Tx, pool?: Sql): Q {
  const exec = (text: string, params: PgValue[], on: Sql | Tx = sql) =>
    on.unsafe(toDollars(text), params as postgres.ParameterOrJSON<never>[], { prepare: true });
  const one = async <T>(text: string, ...params: PgValue[]) =>
    (await exec(text, params))[0] as unknown as T | undefined;
  return {
    all: async <T>(text: string, ...params: PgValue[]) =>
      [...(await exec(text, params))] as unknown as T[],
    one,
    arrays: async (text: string, ...params: PgValue[]) =>
      [...(await exec(text, params).values())] as unknown[][],
    run: async (text: string, ...params: PgValue[]) => (await exec(text, params)).count,
    // Reads plan every statement for its values (force_custom_plan, below): planning a page's
    // lookups took PostgreSQL 0.35 ms of their 1.7. Here the three statements go out at once on
    // one reserved connection; RESET runs whatever the statement did. In a transaction: one().
    oneGeneric: async <T>(text: string, ...params: PgValue[]) => {
      if (!pool) return one<T>(text, ...params);
      const c = await pool.reserve();
      try {
        const [, rows] = await Promise.all([
          c.unsafe(GENERIC),
          exec(text, params, c as unknown as Sql),
          c.unsafe(CUSTOM),
        ]);
        return rows[0] as unknown as T | undefined;
      } finally {
        c.release();
      }
    },
  };
}

/** The open database: pool, gate and schema state. */
export class PgDb {
  readonly display: string;
  readonly sql: Sql;
  readonly gate: Gate;
  #ready: Promise<string | undefined> | undefined;
  #readOnly: string | undefined;
  #closed = false;

  constructor(readonly uri: string, readonly schema: SchemaOptions, opts: PgPoolOptions = {}) {
    this.display = displayName(uri);
    const size = opts.poolSize ?? 10;
    if (!Number.isInteger(size) || size < 1) {
      throw new MltError("INVALID_PARAMETER_VALUE", `Invalid PostgreSQL pool size ${size}`);
    }
    this.sql = postgres(connectionUri(uri), {
      max: size,
      types: TYPES,
      onnotice: () => {},
      connect_timeout: opts.connectTimeoutS ?? 10,
      idle_timeout: 60,
      // Recycles connections now and then, so a failover's new primary is picked up.
      max_lifetime: 30 * 60,
      // A generic plan of a prepared statement ignores the values: for a history page it walked
      // and sorted every point of the run's key (seconds per page of a 1M-point history) instead
      // of reading the page from the primary key. Custom plans, as psycopg2's plain queries get.
      connection: { application_name: "mlt", plan_cache_mode: "force_custom_plan" },
    }) as unknown as Sql;
    this.gate = new Gate(
      size,
      opts.queueLimit ?? 64 * size,
      opts.queueWaitMs ?? 30_000,
      this.display,
    );
  }

  /** Why writes are refused (a newer, unknown schema revision), once the schema was checked. */
  get readOnlyReason(): string | undefined {
    return this.#readOnly;
  }

  /** Creates or checks the schema once; a failed attempt is tried again by the next call. */
  ready(): Promise<void> {
    if (this.#closed) {
      return Promise.reject(new MltError("INTERNAL_ERROR", "The PostgreSQL store is closed"));
    }
    this.#ready ??= this.gate.run(() => startSchema(this.sql, this.display, this.schema))
      .catch((e) => {
        this.#ready = undefined;
        throw pgFailure(e, this.display);
      });
    return this.#ready.then((reason) => {
      this.#readOnly = reason;
    });
  }

  /** Runs reads on the pool (each query on any free connection). */
  async read<T>(fn: (q: Q) => Promise<T>): Promise<T> {
    await this.ready();
    try {
      return await this.gate.run(() => fn(queries(this.sql, this.sql)));
    } catch (e) {
      throw pgFailure(e, this.display);
    }
  }

  /**
   * Runs `fn` in one transaction (all or nothing), again from the start after a serialization
   * failure or deadlock (up to 5 times): `fn` must only touch the database.
   */
  write<T>(fn: (q: Q) => Promise<T>): Promise<T> {
    return this.#writing(() =>
      this.sql.begin(async (tx) => {
        // Generic plans in writes: the foreign-key checks PostgreSQL runs for each inserted
        // row (a metric point → its run) are cached plans too, and planning each one again
        // cost 2.5× the insert itself (force_custom_plan is for the reads, see above).
        // Sent with fn's first statement (pipelined), not a round trip of its own.
        const [, out] = await Promise.all([
          tx.unsafe("SET LOCAL plan_cache_mode = auto"),
          fn(queries(tx as unknown as Tx)),
        ]);
        return out;
      }) as Promise<T>
    );
  }

  /**
   * Runs `fn`, which issues ONE statement, outside an explicit transaction: the statement is its
   * own transaction (one round trip instead of BEGIN, statements and COMMIT), retried as write().
   */
  writeStatement<T>(fn: (q: Q) => Promise<T>): Promise<T> {
    return this.#writing(() => fn(queries(this.sql)));
  }

  async #writing<T>(run: () => Promise<T>): Promise<T> {
    await this.ready();
    if (this.#readOnly) throw new MltError("PERMISSION_DENIED", this.#readOnly);
    for (let attempt = 1;; attempt++) {
      try {
        return await this.gate.run(run);
      } catch (e) {
        if (!isRetryable(e) || attempt >= 5) throw pgFailure(e, this.display);
        await new Promise((r) => setTimeout(r, 5 * attempt + Math.random() * 20));
      }
    }
  }

  /** Closes the pool (open queries finish first, for up to 5 s). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.sql.end({ timeout: 5 });
  }
}
