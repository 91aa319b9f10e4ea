/**
 * The MLflow 3 parts of `mlt migrate` (store/migrate.ts copies experiments and runs first):
 * logged models (active and deleted, with their params, tags and metric points, ids and times
 * kept) through the target's ImportTarget, and the model registry (models, versions with their
 * numbers, stages and times, tags, aliases, storage locations and logged model ids) through the
 * target's own ModelRegistryStore interface, its clock set to each source time before the call
 * that writes it. A version number
 * missing in the source (a deleted version) becomes a deleted version in the target, so numbers
 * stay as they were. Both parts are resumable: an entity equal in both stores is skipped.
 */
import type { LoggedModel } from "../model.ts";
import { isModelsUri, parseModelUri } from "../registry_uri.ts";
import type { ModelVersion, RegisteredModel } from "../registry_model.ts";
import type { ModelRegistryStore } from "./registry.ts";
import { allPages, type TrackingStore } from "./store.ts";

/** The counts of the MLflow 3 entities of one side. */
export interface ModelCounts {
  loggedModels: number;
  deletedLoggedModels: number;
  modelParams: number;
  modelTags: number;
  modelMetrics: number;
  registeredModels: number;
  modelVersions: number;
  registryTags: number;
  aliases: number;
}

/** Labels of ModelCounts, in report order. */
export const MODEL_COUNT_LABELS: Readonly<Record<keyof ModelCounts, string>> = {
  loggedModels: "logged models",
  deletedLoggedModels: "  deleted",
  modelParams: "model params",
  modelTags: "model tags",
  modelMetrics: "model metrics",
  registeredModels: "registered models",
  modelVersions: "model versions",
  registryTags: "registry tags",
  aliases: "aliases",
};

/** Zero counts. */
export function zeroModelCounts(): ModelCounts {
  return {
    loggedModels: 0,
    deletedLoggedModels: 0,
    modelParams: 0,
    modelTags: 0,
    modelMetrics: 0,
    registeredModels: 0,
    modelVersions: 0,
    registryTags: 0,
    aliases: 0,
  };
}

/** A target that takes logged models with their ids, times and states unchanged. */
export interface ModelImportTarget {
  /** Writes a model whole (params, tags, metric points), replacing an earlier copy. */
  putLoggedModel(model: LoggedModel, deleted: boolean): Promise<void>;
}

/** Every logged model of the experiments, deleted ones included. */
export async function allLoggedModels(
  store: TrackingStore,
  experimentIds: string[],
): Promise<{ model: LoggedModel; deleted: boolean }[]> {
  const out: { model: LoggedModel; deleted: boolean }[] = [];
  for (const experimentId of experimentIds) {
    const { items } = await allPages((pageToken, maxResults) =>
      store.searchLoggedModels({ experimentIds: [experimentId], maxResults, pageToken })
    );
    for (const model of items) out.push({ model, deleted: false });
  }
  const wanted = new Set(experimentIds);
  for (const id of await store.deletedLoggedModelIds()) {
    const model = await store.getLoggedModel(id, { allowDeleted: true });
    if (wanted.has(model.experimentId)) out.push({ model, deleted: true });
  }
  return out.sort((a, b) => (a.model.modelId < b.model.modelId ? -1 : 1));
}

function addModel(c: ModelCounts, m: LoggedModel, deleted: boolean): void {
  c.loggedModels++;
  if (deleted) c.deletedLoggedModels++;
  c.modelParams += m.params.length;
  c.modelTags += m.tags.length;
  c.modelMetrics += m.metrics.length;
}

// A model's content in one comparable string (metric points in a canonical order).
function modelKey(m: LoggedModel, deleted: boolean): string {
  const points = m.metrics.map((p) =>
    JSON.stringify([p.key, p.timestamp, p.step, String(p.value), p.runId, p.datasetName])
  ).sort();
  const kv = (xs: { key: string; value: string }[]) =>
    xs.map((x) => `${x.key}=${x.value}`).sort().join("\u0000");
  const { params: _p, tags: _t, metrics: _m, ...fields } = m;
  return JSON.stringify([fields, deleted, kv(m.params), kv(m.tags), points]);
}

/**
 * Copies logged models of the experiments `ids` maps (source id → target id); returns how many
 * were written and skipped, and adds the source's counts. `relocate` copies a model's artifacts
 * and returns its new location (undefined: the location is kept).
 */
export async function copyLoggedModels(
  source: TrackingStore,
  target: TrackingStore,
  importer: ModelImportTarget,
  ids: ReadonlyMap<string, string>,
  counts: ModelCounts,
  relocate?: (model: LoggedModel, sourceUri: string) => Promise<string | undefined>,
): Promise<{ copied: number; skipped: number }> {
  let copied = 0, skipped = 0;
  for (const found of await allLoggedModels(source, [...ids.keys()])) {
    const { deleted } = found;
    let model = { ...found.model, experimentId: ids.get(found.model.experimentId)! };
    const moved = await relocate?.(model, found.model.artifactLocation);
    if (moved) model = { ...model, artifactLocation: moved };
    addModel(counts, model, deleted);
    let there: LoggedModel | undefined;
    try {
      there = await target.getLoggedModel(model.modelId, { allowDeleted: true });
    } catch { /* absent */ }
    const thereDeleted = there !== undefined &&
      (await target.deletedLoggedModelIds()).includes(model.modelId);
    if (there && modelKey(there, thereDeleted) === modelKey(model, deleted)) skipped++;
    else {
      await importer.putLoggedModel(model, deleted);
      copied++;
    }
  }
  return { copied, skipped };
}

/** Counts the logged models of `experimentIds` in `store`. */
export async function countLoggedModels(
  store: TrackingStore,
  experimentIds: string[],
  counts: ModelCounts,
): Promise<void> {
  for (const { model, deleted } of await allLoggedModels(store, experimentIds)) {
    addModel(counts, model, deleted);
  }
}

/** A version with where its files are (what get-download-uri answers: storage location or source). */
type StoredVersion = ModelVersion & { storageLocation: string };

/** A registry with everything of its models: each model and its live versions. */
async function readRegistry(r: ModelRegistryStore) {
  const { items: models } = await allPages((pageToken, maxResults) =>
    r.searchRegisteredModels({ maxResults, pageToken, orderBy: ["name ASC"] })
  );
  const out: { model: RegisteredModel; versions: StoredVersion[] }[] = [];
  for (const m of models) {
    const model = await r.getRegisteredModel(m.name);
    const { items } = await allPages((pageToken, maxResults) =>
      r.searchModelVersions({
        filter: `name = '${m.name.replaceAll("'", "\\'")}'`,
        maxResults,
        pageToken,
        orderBy: ["version_number ASC"],
      })
    );
    const versions: StoredVersion[] = [];
    for (const v of items) {
      versions.push({
        ...await r.getModelVersion(m.name, v.version),
        storageLocation: await r.getModelVersionDownloadUri(m.name, v.version),
      });
    }
    out.push({ model, versions });
  }
  return out;
}

function addRegistry(c: ModelCounts, reg: Awaited<ReturnType<typeof readRegistry>>): void {
  for (const { model, versions } of reg) {
    c.registeredModels++;
    c.modelVersions += versions.length;
    c.registryTags += model.tags.length + versions.reduce((n, v) => n + v.tags.length, 0);
    c.aliases += model.aliases.length;
  }
}

// What must be equal for a model to count as copied (latest versions follow from the versions).
// Not a version's model_id: MLflow's SQL tables drop it, so a SQL target never holds it.
function registryKey(model: RegisteredModel, versions: StoredVersion[]): string {
  const tags = (xs: { key: string; value: string }[]) =>
    xs.map((t) => `${t.key}=${t.value}`).sort();
  return JSON.stringify([
    model.name,
    model.creationTimestamp,
    model.lastUpdatedTimestamp,
    model.description ?? null,
    tags(model.tags),
    model.aliases.map((a) => `${a.alias}=${a.version}`).sort(),
    versions.map((v) => [
      v.version,
      v.creationTimestamp,
      v.lastUpdatedTimestamp,
      v.description ?? null,
      v.currentStage,
      v.source ?? null,
      v.runId ?? null,
      v.runLink ?? null,
      v.storageLocation,
      tags(v.tags),
    ]),
  ]);
}

/**
 * Copies the registry: every model of `source` into `target`, whose clock `at(ms)` sets (the
 * target registry must have been opened with that clock); `relocate` maps version sources.
 */
export async function copyRegistry(
  source: ModelRegistryStore,
  target: ModelRegistryStore,
  at: (ms: number | undefined) => void,
  counts: ModelCounts,
  relocate: (uri: string) => string = (uri) => uri,
): Promise<{ copied: number; skipped: number }> {
  // Version sources inside moved artifacts point at their copies.
  const reg = (await readRegistry(source)).map(({ model, versions }) => ({
    model,
    versions: versions.map((v) => ({
      ...v,
      source: v.source ? relocate(v.source) : v.source,
      storageLocation: v.storageLocation ? relocate(v.storageLocation) : v.storageLocation,
    })),
  }));
  addRegistry(counts, reg);
  const there = new Map((await readRegistry(target)).map((e) => [e.model.name, e]));
  let copied = 0, skipped = 0;
  for (const { model, versions } of reg) {
    const old = there.get(model.name);
    if (old && registryKey(old.model, old.versions) === registryKey(model, versions)) {
      skipped++;
      continue;
    }
    if (old) await target.deleteRegisteredModel(model.name);
    await putRegisteredModel(target, at, model, versions);
    copied++;
  }
  return { copied, skipped };
}

// The logged model a `models:/m-…` source names: what a SQL store (no model_id column) still
// tells of a version's model, and what MLflow's client sends as model_id for such a source.
function sourceModelId(source: string | undefined): string | undefined {
  if (!source || !isModelsUri(source)) return undefined;
  try {
    return parseModelUri(source).modelId;
  } catch {
    return undefined;
  }
}

async function putRegisteredModel(
  r: ModelRegistryStore,
  at: (ms: number | undefined) => void,
  model: RegisteredModel,
  versions: StoredVersion[],
): Promise<void> {
  const name = model.name;
  at(model.creationTimestamp);
  await r.createRegisteredModel(name, model.tags, model.description);
  const byNumber = new Map(versions.map((v) => [v.version, v]));
  const top = Math.max(0, ...versions.map((v) => v.version));
  for (let n = 1; n <= top; n++) {
    const v = byNumber.get(n);
    if (!v) {
      // A number the source deleted: a deleted version keeps it taken, as in the source.
      await r.createModelVersion({ name, source: "s3://mlt-migrate/deleted-version" });
      await r.deleteModelVersion(name, n);
      continue;
    }
    at(v.creationTimestamp);
    await r.createModelVersion({
      name,
      source: v.source ?? "",
      runId: v.runId,
      runLink: v.runLink,
      description: v.description,
      tags: v.tags,
      // Given, not derived again: a `models:/<name>/<n>` source would resolve in the target.
      storageLocation: v.storageLocation,
      modelId: v.modelId ?? sourceModelId(v.source),
    });
  }
  for (const v of versions) {
    at(v.lastUpdatedTimestamp);
    if (v.currentStage !== "None") {
      await r.transitionModelVersionStage(name, v.version, v.currentStage, false);
    }
    await r.updateModelVersion(name, v.version, v.description);
  }
  for (const a of model.aliases) await r.setRegisteredModelAlias(name, a.alias, a.version);
  at(model.lastUpdatedTimestamp);
  await r.updateRegisteredModel(name, model.description);
  at(undefined);
}

/** Counts the registry of `store`. */
export async function countRegistry(r: ModelRegistryStore, counts: ModelCounts): Promise<void> {
  addRegistry(counts, await readRegistry(r));
}
