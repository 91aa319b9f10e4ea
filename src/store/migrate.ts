/**
 * Lossless copy between two tracking stores (`mlt migrate`): experiments with their ids, tags and
 * states; runs with every field, params, every metric point, tags, dataset inputs and deletion
 * state; then logged models and the model registry (migrate_models.ts). Artifacts stay where their
 * URIs point, or, given an ArtifactMover (migrate_artifacts.ts), are copied and the new URIs
 * written. Resumable: an entity already in the target with the
 * same content is skipped. Ends with per-entity counts of both sides.
 * Reads through TrackingStore; writes through an ImportTarget (ids and times kept).
 */
import type {
  DatasetInput,
  Experiment,
  LoggedModel,
  Metric,
  ModelInput,
  ModelOutput,
  Param,
  Run,
  RunInfo,
  Tag,
} from "../model.ts";
import { allPages, type TrackingStore } from "./store.ts";
import type { ModelRegistryStore } from "./registry.ts";
import {
  allLoggedModels,
  copyLoggedModels,
  copyRegistry,
  countLoggedModels,
  countRegistry,
  MODEL_COUNT_LABELS,
  type ModelCounts,
  type ModelImportTarget,
  zeroModelCounts,
} from "./migrate_models.ts";
import type { ArtifactMover, ArtifactStats } from "./migrate_artifacts.ts";

/** Everything a migration copies of one run. */
export interface RunRecord {
  info: RunInfo;
  params: Param[];
  tags: Tag[];
  /** Every point of every metric. */
  metrics: Metric[];
  inputs: DatasetInput[];
  /** Logged models the run used. */
  modelInputs: ModelInput[];
  /** Logged models the run produced. */
  modelOutputs: ModelOutput[];
}

/** A store that takes experiments, runs and models with their ids, times and states unchanged. */
export interface ImportTarget extends ModelImportTarget {
  /** True when the target keeps one copy of exactly equal points (MLflow's SQL primary key). */
  readonly mergesDuplicatePoints: boolean;
  /** Creates or overwrites an experiment with exactly these fields and tags. */
  /**
   * Creates or overwrites an experiment with exactly these fields and tags; returns its id in the
   * target when that differs (an id the target's schema cannot hold gets a new one, stable across
   * migrations: the experiment of that name).
   */
  putExperiment(exp: Experiment): Promise<string | void>;
  /** Writes a run whole, replacing an earlier copy; a failure leaves no partial run. */
  putRun(run: RunRecord): Promise<void>;
}

/** Entity counts of one side of a migration. */
export interface EntityCounts extends ModelCounts {
  experiments: number;
  deletedExperiments: number;
  experimentTags: number;
  runs: number;
  deletedRuns: number;
  params: number;
  tags: number;
  metricKeys: number;
  metricPoints: number;
  datasetInputs: number;
  /** Runs' links to logged models they used or produced. */
  modelLinks: number;
}

/** Labels of the counts, in report order. */
export const COUNT_LABELS: Readonly<Record<keyof EntityCounts, string>> = {
  experiments: "experiments",
  deletedExperiments: "  deleted",
  experimentTags: "experiment tags",
  runs: "runs",
  deletedRuns: "  deleted",
  params: "params",
  tags: "tags",
  metricKeys: "metrics (keys)",
  metricPoints: "metric points",
  datasetInputs: "dataset inputs",
  modelLinks: "run model links",
  ...MODEL_COUNT_LABELS,
};

/** What a migration did and found. */
export interface MigrateReport {
  copiedRuns: number;
  skippedRuns: number;
  /** Counts read from the source (points: distinct ones when the target merges duplicates). */
  source: EntityCounts;
  /** The same counts read back from the target after the copy. */
  target: EntityCounts;
  /** One line per count that differs. */
  mismatches: string[];
  /** Things the target cannot hold exactly (e.g. duplicate points merged). */
  notes: string[];
  /** Logged models written (the others were there already). */
  copiedModels: number;
  /** Registered models written. */
  copiedRegisteredModels: number;
  /** What the artifact copy did, when artifacts were copied. */
  artifacts?: ArtifactStats;
}

/** Inputs of migrate(). */
export interface MigrateOptions {
  source: TrackingStore;
  target: TrackingStore;
  importer: ImportTarget;
  /** Called after each run with the number done and the total. */
  progress?: (done: number, total: number) => void;
  /**
   * The registries to copy, when both stores have one: the target's must run on the clock that
   * `at` sets (each source time is set before the call that writes it).
   */
  registries?: {
    source: ModelRegistryStore;
    target: ModelRegistryStore;
    at: (ms: number | undefined) => void;
  };
  /** Copies artifacts and rewrites their URIs (absent: URIs are kept). */
  artifacts?: ArtifactMover;
}

function zero(): EntityCounts {
  return {
    experiments: 0,
    deletedExperiments: 0,
    experimentTags: 0,
    runs: 0,
    deletedRuns: 0,
    params: 0,
    tags: 0,
    metricKeys: 0,
    metricPoints: 0,
    datasetInputs: 0,
    modelLinks: 0,
    ...zeroModelCounts(),
  };
}

async function allExperiments(store: TrackingStore): Promise<Experiment[]> {
  const { items: out } = await allPages((pageToken) =>
    store.searchExperiments({ viewType: "ALL", maxResults: 50000, pageToken })
  );
  // The default experiment first, then by id, so ids never collide with fresh ones midway.
  return out.sort((a, b) =>
    a.experimentId.length - b.experimentId.length ||
    (a.experimentId < b.experimentId ? -1 : a.experimentId > b.experimentId ? 1 : 0)
  );
}

async function runsOf(store: TrackingStore, experimentId: string): Promise<RunInfo[]> {
  const { items } = await allPages((pageToken, maxResults) =>
    store.searchRuns({ experimentIds: [experimentId], viewType: "ALL", maxResults, pageToken })
  );
  return items.map((r) => r.info);
}

async function runIdsOf(store: TrackingStore, experimentId: string): Promise<string[]> {
  return (await runsOf(store, experimentId)).map((r) => r.runId);
}

/** A run with every point of every metric, read through the TrackingStore interface. */
export async function readRunRecord(store: TrackingStore, run: Run): Promise<RunRecord> {
  const metrics: Metric[] = [];
  for (const m of run.data.metrics) {
    const page = await store.getMetricHistory(run.info.runId, m.key);
    for (const p of page.items) {
      metrics.push({ key: m.key, value: p.value, timestamp: p.timestamp, step: p.step });
    }
  }
  return {
    info: run.info,
    params: run.data.params,
    tags: run.data.tags,
    metrics,
    inputs: run.inputs.datasetInputs,
    modelInputs: run.inputs.modelInputs ?? [],
    modelOutputs: run.outputs?.modelOutputs ?? [],
  };
}

// The identity of a point in MLflow's metrics primary key (NaN and -0 fold as SQL stores them).
function pointKey(m: Metric): string {
  const v = Number.isNaN(m.value) ? "nan" : m.value === 0 ? "0" : String(m.value);
  return `${m.key}\u0000${m.timestamp}\u0000${m.step}\u0000${v}`;
}

function distinctPoints(metrics: Metric[]): number {
  return new Set(metrics.map(pointKey)).size;
}

function addRun(c: EntityCounts, rec: RunRecord, points: number): void {
  c.runs++;
  if (rec.info.lifecycleStage === "deleted") c.deletedRuns++;
  c.params += rec.params.length;
  c.tags += rec.tags.length;
  c.metricKeys += new Set(rec.metrics.map((m) => m.key)).size;
  c.metricPoints += points;
  c.datasetInputs += rec.inputs.length;
  c.modelLinks += rec.modelInputs.length + rec.modelOutputs.length;
}

function addExperiment(c: EntityCounts, exp: Experiment): void {
  c.experiments++;
  if (exp.lifecycleStage === "deleted") c.deletedExperiments++;
  c.experimentTags += exp.tags.length;
}

function sameInfo(a: RunInfo, b: RunInfo): boolean {
  const keys: (keyof RunInfo)[] = [
    "experimentId",
    "runName",
    "userId",
    "status",
    "startTime",
    "endTime",
    "artifactUri",
    "lifecycleStage",
    "deletedTime",
  ];
  return keys.every((k) => a[k] === b[k]);
}

// A run already in the target counts as copied when its info and every count agree.
async function alreadyCopied(
  target: TrackingStore,
  rec: RunRecord,
  points: number,
): Promise<boolean> {
  let run: Run;
  try {
    run = await target.getRun(rec.info.runId);
  } catch {
    return false;
  }
  if (!sameInfo(run.info, rec.info)) return false;
  const there = await readRunRecord(target, run);
  const a = zero(), b = zero();
  addRun(a, rec, points);
  addRun(b, there, there.metrics.length);
  return (Object.keys(a) as (keyof EntityCounts)[]).every((k) => a[k] === b[k]);
}

/** Copies every experiment and run of `source` into `target`, then compares their counts. */
export async function migrate(opts: MigrateOptions): Promise<MigrateReport> {
  const { source, target, importer } = opts;
  const report: MigrateReport = {
    copiedRuns: 0,
    skippedRuns: 0,
    source: zero(),
    target: zero(),
    mismatches: [],
    notes: [],
    copiedModels: 0,
    copiedRegisteredModels: 0,
  };
  const experiments = await allExperiments(source);
  const runsByExp = new Map<string, string[]>();
  const mover = opts.artifacts;
  for (const exp of experiments) {
    const infos = await runsOf(source, exp.experimentId);
    // Every source location readable before anything is written (mlflow-artifacts: needs a root).
    for (const r of infos) mover?.check(r.artifactUri, `run ${r.runId}`);
    runsByExp.set(exp.experimentId, infos.map((r) => r.runId));
  }
  if (mover) {
    for (const { model } of await allLoggedModels(source, experiments.map((e) => e.experimentId))) {
      mover.check(model.artifactLocation, `logged model ${model.modelId}`);
    }
  }
  const total = [...runsByExp.values()].reduce((n, ids) => n + ids.length, 0);
  let done = 0, merged = 0;
  const ids = new Map<string, string>(); // source experiment id → target id
  for (const exp of experiments) {
    const at = (id: string) => mover ? { artifactLocation: mover.experimentLocation(id) } : {};
    const id = (await importer.putExperiment({ ...exp, ...at(exp.experimentId) })) ||
      exp.experimentId;
    // A new id in the target: its location names that id.
    if (mover && id !== exp.experimentId) {
      await importer.putExperiment({ ...exp, experimentId: id, ...at(id) });
    }
    ids.set(exp.experimentId, id);
    if (id !== exp.experimentId) {
      report.notes.push(
        `experiment ${exp.experimentId} ("${exp.name}") is experiment ${id} in the target, ` +
          "whose schema holds 32-bit experiment ids only",
      );
    }
    addExperiment(report.source, exp);
    for (const runId of runsByExp.get(exp.experimentId)!) {
      const read = await readRunRecord(source, await source.getRun(runId));
      const rec = { ...read, info: { ...read.info, experimentId: id } };
      const to = mover?.runUri(id, runId);
      // A run whose files did not all arrive keeps its source URI: nothing points at a part copy.
      if (to && await mover!.copy(read.info.artifactUri, to, `run ${runId}`)) {
        rec.info.artifactUri = to;
      }
      const points = importer.mergesDuplicatePoints
        ? distinctPoints(rec.metrics)
        : rec.metrics.length;
      merged += rec.metrics.length - points;
      addRun(report.source, rec, points);
      if (await alreadyCopied(target, rec, points)) report.skippedRuns++;
      else {
        await importer.putRun(rec);
        report.copiedRuns++;
      }
      opts.progress?.(++done, total);
    }
  }
  const relocate = mover &&
    (async (m: LoggedModel, sourceUri: string) => {
      const to = mover.modelUri(m.experimentId, m.modelId);
      return await mover.copy(sourceUri, to, `logged model ${m.modelId}`) ? to : undefined;
    });
  const models = await copyLoggedModels(source, target, importer, ids, report.source, relocate);
  report.artifacts = mover?.stats;
  report.copiedModels = models.copied;
  if (opts.registries) {
    const { source: from, target: to, at } = opts.registries;
    const reg = await copyRegistry(
      from,
      to,
      at,
      report.source,
      mover && ((u) => mover.relocated(u)),
    );
    report.copiedRegisteredModels = reg.copied;
  }
  if (merged > 0) {
    report.notes.push(
      `${merged} metric point(s) that exactly repeat another point of their run (same key, ` +
        "timestamp, step and value) were stored once, as MLflow's SQL schema requires",
    );
  }
  await countTarget(target, experiments.map((e) => ids.get(e.experimentId)!), report.target);
  await countLoggedModels(target, [...ids.values()], report.target);
  if (opts.registries) await countRegistry(opts.registries.target, report.target);
  for (const k of Object.keys(report.source) as (keyof EntityCounts)[]) {
    if (report.source[k] !== report.target[k]) {
      report.mismatches.push(
        `${COUNT_LABELS[k].trim()}: source ${report.source[k]}, target ${report.target[k]}`,
      );
    }
  }
  return report;
}

// Reads the copied entities back from the target, by their ids there.
async function countTarget(
  target: TrackingStore,
  experimentIds: string[],
  out: EntityCounts,
): Promise<void> {
  for (const id of experimentIds) {
    let exp: Experiment;
    try {
      exp = await target.getExperiment(id);
    } catch {
      continue;
    }
    addExperiment(out, exp);
    for (const runId of await runIdsOf(target, exp.experimentId)) {
      const rec = await readRunRecord(target, await target.getRun(runId));
      addRun(out, rec, rec.metrics.length);
    }
  }
}
