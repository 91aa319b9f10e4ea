/**
 * mlt's SQL functions on a SQLite connection: ILIKE with match.ts's exact semantics. Apart from
 * sql.ts (the search SQL that calls them), so that opening a database loads neither the searches'
 * SQL builders nor their matchers: sql.ts hands ILIKE its matcher when it loads, and only SQL
 * that sql.ts wrote calls the function.
 */
import type { DatabaseSync } from "node:sqlite";

/** Name of the SQL function the store registers for ILIKE: `mlt_ilike(value, pattern)`. */
export const ILIKE_FUNCTION = "mlt_ilike";

/** match.ts's `likeMatcher`: a pattern's matcher, case-insensitive when asked. */
export type LikeMatcher = (pattern: string, caseInsensitive: boolean) => (s: string) => boolean;

let likeMatcher: LikeMatcher | undefined;

/** Gives ILIKE its matcher (sql.ts, which writes every call of it, does when it loads). */
export function useLikeMatcher(matcher: LikeMatcher): void {
  likeMatcher = matcher;
}

/** Registers mlt's SQL functions on `db`. */
export function registerFunctions(db: DatabaseSync): void {
  const cache = new Map<string, (s: string) => boolean>();
  db.function(ILIKE_FUNCTION, { deterministic: true }, (value, pattern) => {
    if (typeof pattern !== "string" || typeof value !== "string") return 0;
    let m = cache.get(pattern);
    if (!m) {
      if (!likeMatcher) throw new Error(`${ILIKE_FUNCTION}() called before sql.ts was loaded`);
      if (cache.size > 256) cache.clear();
      m = likeMatcher(pattern, true);
      cache.set(pattern, m);
    }
    return m(value) ? 1 : 0;
  });
}
