/**
 * `logged-models/search` and the deleted-model listing of gc over the file store: reads each
 * model's meta.yaml and only the keys the filter and order name (through the cache), matches,
 * sorts and pages in memory (search/logged_model_match.ts), then reads the page's models whole.
 */
import type { LoggedModel, Page } from "../../model.ts";
import {
  compareLoggedModels,
  loggedModelPage,
  matchLoggedModel,
} from "../../search/logged_model_match.ts";
import { prepareModelSearch, searchedKeys } from "../model_search.ts";
import type { SearchLoggedModelsRequest } from "../store.ts";
import type { FileModels, ModelLoc } from "./file_models.ts";
import type { FileReader } from "./file_reader.ts";

/** One page of the active logged models of the request's experiments. */
export function searchModelsIn(
  reader: FileReader,
  models: FileModels,
  req: SearchLoggedModelsRequest,
): Page<LoggedModel> {
  const q = prepareModelSearch(req);
  const parts = searchedKeys(q);
  const found: LoggedModel[] = [];
  const locs = new Map<LoggedModel, ModelLoc>();
  for (const id of q.experimentIds) {
    const exp = reader.findExperiment(id);
    if (!exp) continue;
    for (const loc of models.locs(exp)) {
      let model: LoggedModel;
      try {
        const meta = models.meta(loc);
        if (meta.deleted) continue;
        model = models.read(loc, meta, parts);
      } catch (e) {
        reader.warnOnce(`Skipping logged model: ${(e as Error).message}`);
        continue;
      }
      if (!matchLoggedModel(model, q.filter, q.datasets)) continue;
      locs.set(model, loc);
      found.push(model);
    }
  }
  found.sort(compareLoggedModels(q.order));
  const page = loggedModelPage(found, q.offset, q.max, req);
  return {
    ...page,
    items: page.items.map((m) => {
      const loc = locs.get(m)!;
      return models.read(loc, models.meta(loc));
    }),
  };
}

/** Ids of deleted models last updated before `before` (all when omitted), any experiment. */
export function deletedModelIdsIn(
  reader: FileReader,
  models: FileModels,
  before?: number,
): string[] {
  const out: string[] = [];
  for (const exp of reader.experimentLocs("ALL")) {
    for (const loc of models.locs(exp)) {
      let deleted = false, updated = 0;
      try {
        const meta = models.meta(loc);
        deleted = meta.deleted;
        updated = meta.model.lastUpdatedTimestamp;
      } catch (e) {
        reader.warnOnce(`Skipping logged model: ${(e as Error).message}`);
      }
      if (deleted && (before === undefined || updated < before)) out.push(loc.modelId);
    }
  }
  return out.sort();
}
