/**
 * `logged-models/search` and gc's deleted-model listing on SQLite: the request is checked
 * (store/model_search.ts), compiled to SQL (sql_models.ts), one page of ids plus one is read to
 * know whether more follow, then the page's models are loaded in bulk. With a PageCache, the
 * whole ordered id list of a query is kept while the database does not change, so walking its
 * pages sorts the matches once instead of once per page.
 */
import type { LoggedModel, Page } from "../../model.ts";
import { encodeLoggedModelToken } from "../../search/logged_model_token.ts";
import { prepareModelSearch } from "../model_search.ts";
import type { SearchLoggedModelsRequest } from "../store.ts";
import type { Statements } from "./connection.ts";
import { compileModelSearch } from "./sql_models.ts";
import { modelsByIds } from "./sqlite_models.ts";
import { sqlExperimentId } from "./sqlite_reader.ts";

/** Queries kept by a PageCache. */
const CACHED_QUERIES = 8;

/**
 * The ordered model ids of recent searches, valid while `PRAGMA data_version` of the reading
 * connection is unchanged: it changes with every commit of another connection (the store's
 * writer, another process), so only a reader that never writes may keep one.
 */
export class PageCache {
  #entries = new Map<string, { version: number; ids: string[] }>();

  /** The ids of `key` computed by `all`, from cache when the database has not changed. */
  ids(r: Statements, key: string, all: () => string[]): string[] {
    const version = r.one<{ data_version: number }>("PRAGMA data_version")!.data_version;
    const hit = this.#entries.get(key);
    if (hit && hit.version === version) return hit.ids;
    const ids = all();
    this.#entries.delete(key);
    this.#entries.set(key, { version, ids });
    if (this.#entries.size > CACHED_QUERIES) {
      this.#entries.delete(this.#entries.keys().next().value!);
    }
    return ids;
  }
}

/** One page of the active logged models of the request's experiments. */
export function searchModelsSql(
  r: Statements,
  req: SearchLoggedModelsRequest,
  cache?: PageCache,
): Page<LoggedModel> {
  const q = prepareModelSearch(req);
  const experimentIds = q.experimentIds.map(sqlExperimentId);
  if (experimentIds.length === 0) return { items: [] };
  const query = (limit: number, offset: number) => {
    const { sql, params } = compileModelSearch({
      experimentIds,
      filter: q.filter,
      datasets: q.datasets,
      order: q.order,
      limit,
      offset,
    });
    return r.all<{ model_id: string }>(sql, ...params).map((x) => x.model_id);
  };
  const { offset: _, max: __, ...shape } = q;
  const ids = cache
    ? cache.ids(r, JSON.stringify(shape), () => query(-1, 0)).slice(q.offset, q.offset + q.max + 1)
    : query(q.max + 1, q.offset);
  const items = modelsByIds(r, ids.slice(0, q.max));
  return ids.length > q.max
    ? { items, nextPageToken: encodeLoggedModelToken(req, q.offset + q.max) }
    : { items };
}

/** Ids of deleted models last updated before `before` (all when omitted). */
export function deletedModelIdsSql(r: Statements, before?: number): string[] {
  return r.all<{ model_id: string }>(
    "SELECT model_id FROM logged_models WHERE lifecycle_stage = 'deleted' AND " +
      "(? IS NULL OR last_updated_timestamp_ms < ?) ORDER BY model_id",
    before ?? null,
    before ?? null,
  ).map((x) => x.model_id);
}
