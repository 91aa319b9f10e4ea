/**
 * An optional side of a store: how its connection pool is used, for `/metrics`. A store with a
 * pool (PostgreSQL) implements `poolStats()`; the file and SQLite stores have no pool and don't.
 */

/** Connections of a store's pool at one moment. */
export interface PoolStats {
  /** Most connections the pool may open. */
  max: number;
  /** Connections running a query or held by a transaction. */
  inUse: number;
  /** Open connections waiting for work. */
  idle: number;
  /** Requests queued for a connection. */
  waiting: number;
}

/** A store that can report its pool. */
export interface ReportsPool {
  poolStats(): PoolStats;
}

/** True when `store` reports its pool (duck-typed, so no store needs to import this module). */
export function reportsPool(store: unknown): store is ReportsPool {
  return typeof (store as Partial<ReportsPool> | null)?.poolStats === "function";
}
