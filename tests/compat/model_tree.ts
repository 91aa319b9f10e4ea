/**
 * The logged-model part of read_tree.py's JSON (`--models`): every logged model of a store,
 * deleted ones included, and each run's model inputs and outputs, as mlt reads them, for
 * comparison with MLflow's reading (file_tree.ts has the rest of the shape).
 */
import assert from "node:assert/strict";
import type { Metric } from "../../src/model.ts";
import type { TrackingStore } from "../../src/store/store.ts";
import { allPages } from "../../src/store/store.ts";
import { encodeFloat, type JsonFloat, record, type TreeJson } from "./file_tree.ts";

/** A metric point of a model as read_tree.py writes it. */
export interface ModelPointJson {
  key: string;
  value: JsonFloat;
  timestamp: number;
  step: number;
  run_id: string | null;
  dataset_name?: string;
  dataset_digest?: string;
}

/** One logged model as read_tree.py writes it. */
export interface ModelJson {
  model_id: string;
  experiment_id: string;
  name: string;
  artifact_location: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  status: string;
  status_message: string | null;
  model_type: string | null;
  source_run_id: string | null;
  deleted: boolean;
  tags: Record<string, string>;
  params: Record<string, string>;
  metrics: ModelPointJson[];
}

/** A tree read with `--models`. */
export type ModelTreeJson = TreeJson & { logged_models: ModelJson[] };

function modelPoint(m: Metric): ModelPointJson {
  const p: ModelPointJson = {
    value: encodeFloat(m.value),
    timestamp: m.timestamp,
    step: m.step,
    key: m.key,
    run_id: m.runId ?? null,
  };
  if (m.datasetName !== undefined) p.dataset_name = m.datasetName;
  if (m.datasetDigest !== undefined) p.dataset_digest = m.datasetDigest;
  return p;
}

const byPoint = (a: ModelPointJson, b: ModelPointJson) =>
  a.key !== b.key ? (a.key < b.key ? -1 : 1) : a.timestamp - b.timestamp || a.step - b.step;

/** A run's model inputs (ids) and outputs, sorted, as read_tree.py writes them. */
export interface RunLinksJson {
  model_inputs: string[];
  model_outputs: { model_id: string; step: number }[];
}

/** Every logged model of the experiments (deleted ones too) and the runs' links, read by mlt. */
export async function readModelsWithMlt(
  store: TrackingStore,
  expIds: string[],
  runIds: string[],
): Promise<{ logged_models: ModelJson[]; links: Record<string, RunLinksJson> }> {
  const links: Record<string, RunLinksJson> = {};
  for (const id of runIds) {
    const r = await store.getRun(id);
    links[id] = {
      model_inputs: (r.inputs.modelInputs ?? []).map((i) => i.modelId).sort(),
      model_outputs: (r.outputs?.modelOutputs ?? [])
        .map((o) => ({ model_id: o.modelId, step: o.step }))
        .sort((a, b) => (a.model_id < b.model_id ? -1 : 1)),
    };
  }
  const { items } = expIds.length
    ? await allPages((pageToken) => store.searchLoggedModels({ experimentIds: expIds, pageToken }))
    : { items: [] };
  const found = new Map(items.map((m) => [m.modelId, { m, deleted: false }]));
  for (const id of await store.deletedLoggedModelIds()) {
    found.set(id, { m: await store.getLoggedModel(id, { allowDeleted: true }), deleted: true });
  }
  const models: ModelJson[] = [...found.keys()].sort().map((id) => {
    const { m, deleted } = found.get(id)!;
    return {
      model_id: m.modelId,
      experiment_id: m.experimentId,
      name: m.name,
      artifact_location: m.artifactLocation,
      creation_timestamp: m.creationTimestamp,
      last_updated_timestamp: m.lastUpdatedTimestamp,
      status: m.status,
      status_message: m.statusMessage ?? null,
      model_type: m.modelType ?? null,
      source_run_id: m.sourceRunId ?? null,
      deleted,
      tags: record(m.tags),
      params: record(m.params),
      metrics: m.metrics.map(modelPoint).sort(byPoint),
    };
  });
  return { logged_models: models, links };
}

/** Adds mlt's reading of logged models and run links to a tree read by readWithMlt(). */
export async function withModelsRead(store: TrackingStore, tree: TreeJson): Promise<ModelTreeJson> {
  const { logged_models, links } = await readModelsWithMlt(
    store,
    tree.experiments.map((e) => e.experiment_id),
    tree.runs.map((r) => r.run_id),
  );
  for (const run of tree.runs) Object.assign(run, links[run.run_id]);
  return { ...tree, logged_models };
}

/** The runs' links of a tree read by read_tree.py --models, by run id. */
export function linksOf(tree: { runs: unknown[] }): Record<string, RunLinksJson> {
  const out: Record<string, RunLinksJson> = {};
  for (const r of tree.runs as (RunLinksJson & { run_id: string })[]) {
    out[r.run_id] = { model_inputs: r.model_inputs, model_outputs: r.model_outputs };
  }
  return out;
}

/** Asserts that mlt reads the same logged models as MLflow, model by model. */
export function assertSameModels(actual: ModelTreeJson, expected: ModelTreeJson, what: string) {
  assert.ok(expected.logged_models.length > 0, `${what}: the tree has logged models`);
  assert.deepStrictEqual(
    actual.logged_models.map((m) => m.model_id),
    expected.logged_models.map((m) => m.model_id),
    `${what}: logged model ids`,
  );
  for (const [i, m] of expected.logged_models.entries()) {
    assert.deepStrictEqual(actual.logged_models[i], m, `${what}: logged model ${m.name}`);
  }
}
