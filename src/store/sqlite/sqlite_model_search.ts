/**
 * `logged-models/search` and gc's deleted-model listing on SQLite: the request is checked
 * (store/model_search.ts), compiled to SQL (sql_models.ts), one page of ids plus one is read to
 * know whether more follow, then the page's models are loaded in bulk.
 */
import type { LoggedModel, Page } from "../../model.ts";
import { encodeLoggedModelToken } from "../../search/logged_model_token.ts";
import { prepareModelSearch } from "../model_search.ts";
import type { SearchLoggedModelsRequest } from "../store.ts";
import type { Statements } from "./connection.ts";
import { compileModelSearch } from "./sql_models.ts";
import { modelsByIds } from "./sqlite_models.ts";
import { sqlExperimentId } from "./sqlite_reader.ts";

/** One page of the active logged models of the request's experiments. */
export function searchModelsSql(r: Statements, req: SearchLoggedModelsRequest): Page<LoggedModel> {
  const q = prepareModelSearch(req);
  const experimentIds = q.experimentIds.map(sqlExperimentId);
  if (experimentIds.length === 0) return { items: [] };
  const { sql, params } = compileModelSearch({
    experimentIds,
    filter: q.filter,
    datasets: q.datasets,
    order: q.order,
    limit: q.max + 1,
    offset: q.offset,
  });
  const ids = r.all<{ model_id: string }>(sql, ...params).map((x) => x.model_id);
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
