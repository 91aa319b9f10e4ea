/**
 * The file registry's searches: every model folder read, matched and sorted in memory
 * (search/registry_match.ts), then paged as MLflow's SQL store pages.
 */
import type { Page } from "../../model.ts";
import type { ModelVersion, RegisteredModel } from "../../registry_model.ts";
import {
  parseModelVersionFilter,
  parseModelVersionOrderBy,
  parseRegisteredModelFilter,
  parseRegisteredModelOrderBy,
} from "../../search/registry_filter.ts";
import {
  isPromptTagged,
  matchModelVersion,
  matchRegisteredModel,
  pageOf,
  registryComparator,
} from "../../search/registry_match.ts";
import type { RegistrySearchRequest } from "../registry.ts";
import { modelsPerPage, versionsPerPage } from "../registry_rules.ts";
import type { RegistryReader, StoredModel } from "./registry_reader.ts";

/** One page of models that pass the filter; `full` adds each one's latest versions. */
export function searchModels(
  reader: RegistryReader,
  req: RegistrySearchRequest,
  full: (m: StoredModel) => RegisteredModel,
): Page<RegisteredModel> {
  const filter = parseRegisteredModelFilter(req.filter);
  const order = parseRegisteredModelOrderBy(req.orderBy);
  const max = modelsPerPage(req.maxResults);
  const bare = (m: StoredModel): RegisteredModel => ({ ...m.model, latestVersions: [] });
  const cmp = registryComparator<RegisteredModel>(order);
  const found = reader.modelDirs().map((d) => reader.model(d))
    .filter((m): m is StoredModel => m !== undefined && matchRegisteredModel(bare(m), filter))
    .sort((a, b) => cmp(bare(a), bare(b)));
  const page = pageOf(found, req.pageToken, max);
  return { ...page, items: page.items.map(full) };
}

/** One page of live versions that pass the filter (without their aliases, as MLflow answers). */
export function searchVersions(
  reader: RegistryReader,
  req: RegistrySearchRequest,
): Page<ModelVersion> {
  const filter = parseModelVersionFilter(req.filter);
  const order = parseModelVersionOrderBy(req.orderBy);
  const max = versionsPerPage(req.maxResults);
  const found: ModelVersion[] = [];
  for (const d of reader.modelDirs()) {
    if (!reader.model(d)) continue;
    const versions = reader.versions(d, []).map((v) => v.version);
    const prompt = versions.some((v) => isPromptTagged(v.tags));
    for (const v of versions) if (matchModelVersion(v, filter, prompt)) found.push(v);
  }
  return pageOf(found.sort(registryComparator(order)), req.pageToken, max);
}
