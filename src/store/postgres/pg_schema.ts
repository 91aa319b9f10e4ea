/**
 * The PostgreSQL store's start-up protocol, MLflow's (reference §4.1) with the SQLite store's
 * rules (sqlite/schema.ts): an empty schema gets MLflow's DDL at the pinned revision, its seed
 * rows and experiment 0 (under an advisory lock, so servers starting together create it once); a
 * database at an older revision is refused with `mlflow db upgrade` advice; an unknown (newer)
 * revision opens read-only with a warning; a missing table or column is refused.
 */
import type postgres from "postgres";
import { judgeSchema, notMlflowError, SCHEMA_REVISION, SEED_ROWS } from "../sqlite/schema.ts";
import { MLFLOW_PG_DDL, PG_SCHEMA_REVISION } from "./mlflow_pg_ddl.ts";

/** What the start-up needs from the store. */
export interface SchemaOptions {
  /** The tracking URI as it may be printed (password masked), for `mlflow db upgrade` advice. */
  shownUri: string;
  warn: (message: string) => void;
  now: () => number;
  /** Artifact location of experiment 0 when the database lacks it. */
  defaultLocation: () => string;
}

// pg_advisory_xact_lock key of the schema creation ('mlt' + 1).
const SCHEMA_LOCK = 0x6d6c7401;

type Sql = postgres.Sql<Record<string, never>>;

if (PG_SCHEMA_REVISION !== SCHEMA_REVISION) {
  throw new Error(`PostgreSQL DDL ${PG_SCHEMA_REVISION} != SQLite DDL ${SCHEMA_REVISION}`);
}

async function tableColumns(sql: Sql): Promise<Map<string, string[]>> {
  const rows = await sql.unsafe(
    "SELECT table_name AS t, column_name AS c FROM information_schema.columns " +
      "WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position",
  );
  const out = new Map<string, string[]>();
  for (const r of rows as unknown as { t: string; c: string }[]) {
    const cols = out.get(r.t) ?? [];
    cols.push(r.c);
    out.set(r.t, cols);
  }
  return out;
}

async function ensureDefaultExperiment(sql: Sql, o: SchemaOptions): Promise<void> {
  const now = o.now();
  await sql.unsafe(
    "INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, " +
      "creation_time, last_update_time) VALUES (0, 'Default', $1, 'active', $2, $3) " +
      "ON CONFLICT DO NOTHING",
    [o.defaultLocation(), now, now],
  );
}

async function createSchema(sql: Sql, o: SchemaOptions): Promise<void> {
  await sql.begin(async (tx) => {
    await tx.unsafe("SELECT pg_advisory_xact_lock($1)", [SCHEMA_LOCK]);
    // Another process may have created it while this one waited for the lock.
    const [{ n }] = await tx.unsafe(
      "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = " +
        "current_schema()",
    ) as unknown as { n: number }[];
    if (n === 0) {
      await tx.unsafe(MLFLOW_PG_DDL); // no parameters: one simple, multi-statement query
      await tx.unsafe("INSERT INTO alembic_version (version_num) VALUES ($1)", [SCHEMA_REVISION]);
      for (const [table, { columns, rows }] of Object.entries(SEED_ROWS)) {
        const marks = columns.map((_, i) => `$${i + 1}`).join(", ");
        for (const row of rows) {
          await tx.unsafe(
            `INSERT INTO ${table} (${columns.join(", ")}) VALUES (${marks})`,
            row as never[],
          );
        }
      }
    }
    await ensureDefaultExperiment(tx as unknown as Sql, o);
  });
}

/** Creates or checks the schema; returns why the database must stay read-only, if it must. */
export async function startSchema(
  sql: Sql,
  display: string,
  o: SchemaOptions,
): Promise<string | undefined> {
  const columns = await tableColumns(sql);
  if (columns.size === 0) {
    await createSchema(sql, o);
    return undefined;
  }
  if (!columns.has("alembic_version")) throw notMlflowError(display);
  const rows = await sql.unsafe("SELECT version_num FROM alembic_version") as unknown as {
    version_num: string;
  }[];
  const revision = rows[0]?.version_num ?? "(none)";
  const readOnly = judgeSchema(display, o.shownUri, revision, columns, o.warn);
  if (readOnly) return readOnly;
  await ensureDefaultExperiment(sql, o);
  return undefined;
}
