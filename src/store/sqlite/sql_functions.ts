/**
 * mlt's SQL functions on a SQLite connection: ILIKE with match.ts's exact semantics. Apart from
 * sql.ts (the search SQL that calls them) so that opening a database does not load the searches'
 * SQL builders.
 */
import type { DatabaseSync } from "node:sqlite";
import { likeMatcher } from "../../search/match.ts";

/** Name of the SQL function the store registers for ILIKE: `mlt_ilike(value, pattern)`. */
export const ILIKE_FUNCTION = "mlt_ilike";

/** Registers mlt's SQL functions on `db`. */
export function registerFunctions(db: DatabaseSync): void {
  const cache = new Map<string, (s: string) => boolean>();
  db.function(ILIKE_FUNCTION, { deterministic: true }, (value, pattern) => {
    if (typeof pattern !== "string" || typeof value !== "string") return 0;
    let m = cache.get(pattern);
    if (!m) {
      if (cache.size > 256) cache.clear();
      m = likeMatcher(pattern, true);
      cache.set(pattern, m);
    }
    return m(value) ? 1 : 0;
  });
}
