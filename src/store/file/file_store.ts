/**
 * The default store: MLflow's FileStore layout under `./mlruns` (reference §3), byte-compatible
 * with MLflow. The TrackingStore façade: writes here and in file_writes/file_experiments/
 * file_inputs, reads through FileReader and its stat-validated cache.
 * Must not import other store implementations, api/, ui/ or cli/.
 */
import { resolve } from "node:path";
import { invalidParam, MltError, notFound } from "../../errors.ts";
import { type Clock, newExperimentId, systemClock } from "../../ids.ts";
import type {
  DatasetInput,
  Experiment,
  Metric,
  ModelInput,
  ModelOutput,
  Page,
  Param,
  Run,
  RunInfo,
  Tag,
} from "../../model.ts";
import { DEFAULT_EXPERIMENT_ID, TAG } from "../../model.ts";
import { decodePageToken, encodePageToken } from "../../search/page_token.ts";
import {
  validateBatch,
  validateExperimentId,
  validateExperimentName,
  validateExperimentTag,
  validateKey,
  validateModelLinks,
  validateRunId,
  validateTag,
  validateText,
} from "../../validate.ts";
import type {
  CreateRunRequest,
  HistoryRequest,
  LogBatch,
  SearchExperimentsRequest,
  SearchRunsRequest,
  StoreOptions,
  TrackingStore,
  UpdateRunRequest,
} from "../store.ts";
import { checkArtifactUri, tryLocalDir } from "../artifact_guard.ts";
import { FileCache } from "./file_cache.ts";
import { isDir, isFile, settle, withLock, writeAtomic } from "./file_io.ts";
import { currentMeta, setRunsStage, writeBatch, writeNewRun, writeRunInfo } from "./file_writes.ts";
import { type ExperimentLoc, FileReader, type RunLoc } from "./file_reader.ts";
import { deletedRunIdsIn, searchExperimentsIn, searchRunsIn } from "./file_search.ts";
import {
  checkNameFree,
  initRoot,
  lockPath,
  resolveArtifactLocation,
  writeNewExperiment,
} from "./file_experiments.ts";
import { experimentToYaml } from "./format.ts";
import {
  appendUriPath,
  experimentDir,
  experimentTagPath,
  fileUriFromPath,
  metaPath,
  resolveUriIfLocal,
  runFilePath,
  TRASH_DIR,
} from "./layout.ts";
import { logInputsAt } from "./file_inputs.ts";
import { PendingDefault } from "./pending_default.ts";
import { FileModels } from "./file_models.ts";
import { writeModelInputs, writeModelOutputs } from "./file_model_links.ts";
import { type FileModelContext, FileModelStore } from "./file_model_store.ts";

/** MLflow's FileStore over a local directory (logged models: FileModelStore). */
export class FileStore extends FileModelStore implements TrackingStore {
  readonly uri: string;
  readonly root: string;
  #clock: Clock;
  #artifactRoot: string;
  #truncate: boolean;
  #reader: FileReader;
  #default: PendingDefault;
  #models: FileModels;
  #ready = false;

  constructor(rootPath: string, opts: StoreOptions = {}) {
    super();
    this.root = resolve(rootPath);
    this.uri = fileUriFromPath(this.root);
    this.#clock = opts.clock ?? systemClock;
    this.#artifactRoot = opts.artifactRoot
      ? resolveUriIfLocal(opts.artifactRoot, Deno.cwd())
      : this.uri;
    this.#truncate = opts.truncateLongValues ?? true;
    const cache = new FileCache();
    this.#default = new PendingDefault(this.root, cache, this.#artifactRoot, this.#clock);
    this.#reader = new FileReader(this.root, cache, opts.warn ?? console.warn, this.#default);
    this.#models = new FileModels(this.#reader, this.#clock, this.#truncate);
  }

  protected modelContext(): FileModelContext {
    return { models: this.#models, reader: this.#reader, ensureRoot: () => this.#ensureRoot() };
  }

  // The default artifact root when it is a local directory (an area the operator chose).
  #localArtifactRoot(): string[] {
    const dir = tryLocalDir(this.#artifactRoot);
    return dir === undefined ? [] : [dir];
  }

  // Creates the root with experiment "0" (as listed until now) and `.trash` on the first write.
  async #ensureRoot(): Promise<void> {
    if (this.#ready) return;
    await initRoot(this.root, this.#artifactRoot, () => this.#default.experiment.creationTime!);
    this.#ready = true;
  }

  async createExperiment(name: string, artifactLocation?: string, tags?: Tag[]): Promise<string> {
    validateExperimentName(name);
    const expTags = (tags ?? []).map(validateExperimentTag);
    const location = artifactLocation
      ? resolveArtifactLocation(artifactLocation, Deno.cwd())
      : undefined;
    if (location) {
      checkArtifactUri(location, { stores: [this.root], artifactRoots: this.#localArtifactRoot() });
    }
    await this.#ensureRoot();
    return await withLock(lockPath(this.root), () => {
      checkNameFree(this.#reader, name);
      for (;;) {
        const id = newExperimentId();
        const artifactLocation = location ?? appendUriPath(this.#artifactRoot, id);
        try {
          writeNewExperiment({
            root: this.root,
            id,
            name,
            artifactLocation,
            now: this.#clock(),
            tags: expTags,
          });
          return id;
        } catch (e) {
          // A random 18-digit id can collide; draw another.
          if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
        }
      }
    });
  }

  getExperiment(experimentId: string): Promise<Experiment> {
    return settle(() => this.#reader.experiment(experimentId));
  }

  getExperimentByName(name: string): Promise<Experiment | undefined> {
    return settle(() => {
      let deleted: Experiment | undefined;
      for (const loc of this.#reader.experimentLocs("ALL")) {
        const exp = this.#reader.tryExperiment(loc);
        if (exp?.name !== name) continue;
        if (!loc.deleted) return exp;
        deleted ??= exp;
      }
      return deleted;
    });
  }

  searchExperiments(req: SearchExperimentsRequest): Promise<Page<Experiment>> {
    return settle(() => searchExperimentsIn(this.#reader, req));
  }

  #rewriteExperiment(loc: ExperimentLoc, exp: Experiment): void {
    const path = metaPath(loc.dir);
    writeAtomic(path, experimentToYaml(exp, true, currentMeta(path)), loc.dir, true);
  }

  async renameExperiment(experimentId: string, newName: string): Promise<void> {
    validateExperimentName(newName);
    await this.#ensureRoot();
    await withLock(lockPath(this.root), () => {
      const loc = this.#findExperiment(experimentId);
      const exp = this.#reader.readExperiment(loc);
      if (loc.deleted || exp.lifecycleStage !== "active") {
        throw invalidParam(
          `Cannot rename experiment '${experimentId}' in non-active lifecycle stage. ` +
            `Current stage: deleted`,
        );
      }
      if (exp.name === newName) return;
      checkNameFree(this.#reader, newName);
      this.#rewriteExperiment(loc, { ...exp, name: newName, lastUpdateTime: this.#clock() });
    });
  }

  #findExperiment(experimentId: string): ExperimentLoc {
    const loc = this.#reader.findExperiment(experimentId);
    if (!loc) throw notFound(`Could not find experiment with ID ${experimentId}`);
    return loc;
  }

  async deleteExperiment(experimentId: string): Promise<void> {
    validateExperimentId(experimentId);
    if (experimentId === DEFAULT_EXPERIMENT_ID) {
      // MLflow answers INTERNAL_ERROR (500, retried by clients); this is a client mistake.
      throw invalidParam(
        `Cannot delete the default experiment '${DEFAULT_EXPERIMENT_ID}'. This is an internally ` +
          "reserved experiment.",
      );
    }
    await this.#ensureRoot();
    const loc = this.#reader.findExperiment(experimentId);
    if (!loc || loc.deleted) throw notFound(`Could not find experiment with ID ${experimentId}`);
    const exp = this.#reader.readExperiment(loc);
    const target = experimentDir(this.root, experimentId, true);
    if (isDir(target)) {
      throw new MltError(
        "RESOURCE_ALREADY_EXISTS",
        `Cannot delete experiment '${experimentId}': "${TRASH_DIR}/${experimentId}" already exists`,
      );
    }
    const now = this.#clock();
    setRunsStage(this.#reader, loc, "active", "deleted", now);
    this.#rewriteExperiment(loc, { ...exp, lifecycleStage: "deleted", lastUpdateTime: now });
    Deno.renameSync(loc.dir, target);
    this.#reader.cache.forget(loc.dir);
  }

  async restoreExperiment(experimentId: string): Promise<void> {
    validateExperimentId(experimentId);
    await this.#ensureRoot();
    const from = experimentDir(this.root, experimentId, true);
    const to = experimentDir(this.root, experimentId, false);
    if (!isDir(from)) throw notFound(`Could not find deleted experiment with ID ${experimentId}`);
    if (isDir(to)) {
      throw new MltError(
        "RESOURCE_ALREADY_EXISTS",
        `Cannot restore experiment with ID ${experimentId}. An experiment with same ID already exists.`,
      );
    }
    // Read before moving so a broken experiment stays where it is.
    const exp = this.#reader.readExperiment({ id: experimentId, dir: from, deleted: true });
    Deno.renameSync(from, to);
    this.#reader.cache.forget(from);
    const loc: ExperimentLoc = { id: experimentId, dir: to, deleted: false };
    setRunsStage(this.#reader, loc, "deleted", "active", undefined);
    this.#rewriteExperiment(loc, {
      ...exp,
      lifecycleStage: "active",
      lastUpdateTime: this.#clock(),
    });
  }

  #activeExperiment(experimentId: string): ExperimentLoc {
    const loc = this.#findExperiment(experimentId);
    const exp = this.#reader.readExperiment(loc);
    if (loc.deleted || exp.lifecycleStage !== "active") {
      throw invalidParam(
        `The experiment ${experimentId} must be in the 'active' lifecycle_stage to set tags`,
      );
    }
    return loc;
  }

  async setExperimentTag(experimentId: string, tag: Tag): Promise<void> {
    const t = validateExperimentTag(tag);
    await this.#ensureRoot();
    const loc = this.#activeExperiment(experimentId);
    writeAtomic(experimentTagPath(loc.dir, t.key), t.value, loc.dir);
  }

  async deleteExperimentTag(experimentId: string, key: string): Promise<void> {
    validateKey(key, "key");
    await this.#ensureRoot();
    const loc = this.#activeExperiment(experimentId);
    const path = experimentTagPath(loc.dir, key);
    if (!isFile(path)) {
      throw notFound(`No tag with name: ${key} in experiment with id ${experimentId}`);
    }
    Deno.removeSync(path);
  }

  async createRun(req: CreateRunRequest): Promise<Run> {
    const experimentId = req.experimentId ?? DEFAULT_EXPERIMENT_ID;
    validateExperimentId(experimentId);
    const tags = (req.tags ?? []).map((t) => validateTag(t, this.#truncate));
    validateText(req.userId, "user_id");
    await this.#ensureRoot();
    const loc = this.#reader.findExperiment(experimentId);
    if (!loc) {
      throw notFound(
        `Could not create run under experiment with ID ${experimentId} - no such experiment exists.`,
      );
    }
    const exp = this.#reader.readExperiment(loc);
    if (loc.deleted || exp.lifecycleStage !== "active") {
      throw new MltError(
        "INVALID_STATE",
        `Could not create run under non-active experiment with ID ${experimentId}.`,
      );
    }
    const runLoc = writeNewRun(loc, exp, req, tags, this.#clock);
    return this.#reader.fullRun(runLoc, this.#reader.runInfo(runLoc));
  }

  getRun(runId: string): Promise<Run> {
    return settle(() => {
      const loc = this.#reader.findRun(runId);
      return this.#reader.fullRun(loc, this.#reader.runInfo(loc));
    });
  }

  #activeRun(runId: string): { loc: RunLoc; info: RunInfo } {
    const loc = this.#reader.findRun(runId);
    const info = this.#reader.runInfo(loc);
    if (info.lifecycleStage !== "active") {
      throw invalidParam(
        `The run ${runId} must be in the 'active' state. Current state is ${info.lifecycleStage}.`,
      );
    }
    return { loc, info };
  }

  async updateRun(req: UpdateRunRequest): Promise<RunInfo> {
    validateRunId(req.runId);
    validateText(req.runName, "run_name");
    await this.#ensureRoot();
    const { loc, info } = this.#activeRun(req.runId);
    const next: RunInfo = { ...info };
    if (req.status) next.status = req.status;
    if (req.endTime !== undefined && req.endTime !== null) next.endTime = req.endTime;
    if (req.runName) {
      next.runName = req.runName;
      writeAtomic(runFilePath(loc.dir, "tags", TAG.runName), req.runName, loc.dir);
    }
    writeRunInfo(loc, next, undefined);
    return this.#reader.runInfo(loc);
  }

  async deleteRun(runId: string): Promise<void> {
    await this.#ensureRoot();
    const loc = this.#reader.findRun(runId);
    const info = this.#reader.runInfo(loc);
    const now = this.#clock();
    writeRunInfo(loc, { ...info, lifecycleStage: "deleted" }, now);
  }

  async restoreRun(runId: string): Promise<void> {
    await this.#ensureRoot();
    const loc = this.#reader.findRun(runId);
    const info = this.#reader.runInfo(loc);
    writeRunInfo(loc, { ...info, lifecycleStage: "active" }, undefined);
  }

  searchRuns(req: SearchRunsRequest): Promise<Page<Run>> {
    return settle(() => searchRunsIn(this.#reader, req));
  }

  async logMetric(runId: string, metric: Metric): Promise<void> {
    await this.logBatch(runId, { metrics: [metric] });
  }

  async logParam(runId: string, param: Param): Promise<void> {
    await this.logBatch(runId, { params: [param] });
  }

  async setTag(runId: string, tag: Tag): Promise<void> {
    await this.logBatch(runId, { tags: [tag] });
  }

  async deleteTag(runId: string, key: string): Promise<void> {
    validateRunId(runId);
    validateKey(key, "key");
    await this.#ensureRoot();
    const { loc } = this.#activeRun(runId);
    const path = runFilePath(loc.dir, "tags", key);
    if (!isFile(path)) throw notFound(`No tag with name: ${key} in run with id ${runId}`);
    Deno.removeSync(path);
  }

  async logBatch(runId: string, batch: LogBatch): Promise<void> {
    validateRunId(runId);
    // Everything is validated before the first write, so a bad entry leaves no partial batch.
    const { params, metrics, tags } = validateBatch(batch, this.#truncate);
    await this.#ensureRoot();
    const { loc, info } = this.#activeRun(runId);
    const modelLines = this.#models.metricLines(metrics, runId);
    writeBatch(this.#reader, loc, info, { params, metrics, tags });
    this.#models.appendMetricLines(modelLines);
  }

  getMetricHistory(runId: string, key: string, req: HistoryRequest = {}): Promise<Page<Metric>> {
    return settle(() => {
      validateRunId(runId);
      validateKey(key, "Metric name");
      const max = req.maxResults ?? 0;
      if (!Number.isInteger(max) || max < 0) {
        throw invalidParam(`Invalid value ${max} for parameter 'max_results' supplied`);
      }
      const offset = decodePageToken(req.pageToken);
      const loc = this.#reader.findRun(runId);
      // Points carry their run id, as MLflow's FileStore returns them (its SQL store does not).
      const own = (ms: Metric[]) => ms.map((m) => ({ ...m, runId }));
      if (max === 0) return { items: own(this.#reader.metricHistory(loc, key).slice(offset)) };
      const { items, more } = this.#reader.metricHistoryPage(loc, key, offset, max);
      const page = { items: own(items) };
      return more ? { ...page, nextPageToken: encodePageToken(offset + max) } : page;
    });
  }

  async logInputs(runId: string, datasets: DatasetInput[], models: ModelInput[] = []) {
    validateRunId(runId);
    validateModelLinks(models);
    await this.#ensureRoot();
    await logInputsAt(() => this.#activeRun(runId).loc, datasets);
    await writeModelInputs(this.#activeRun(runId).loc.dir, runId, models);
  }

  async logOutputs(runId: string, models: ModelOutput[]): Promise<void> {
    validateRunId(runId);
    validateModelLinks(models);
    await this.#ensureRoot();
    writeModelOutputs(this.#activeRun(runId).loc.dir, models);
  }

  deletedRunIds(before?: number): Promise<string[]> {
    return settle(() => deletedRunIdsIn(this.#reader, before));
  }

  hardDeleteRun(runId: string): Promise<void> {
    return settle(() => {
      const loc = this.#reader.findRun(runId);
      Deno.removeSync(loc.dir, { recursive: true });
      this.#reader.cache.forget(loc.dir);
    });
  }

  hardDeleteExperiment(experimentId: string): Promise<void> {
    return settle(() => {
      const loc = this.#findExperiment(experimentId);
      if (!loc.deleted) {
        throw invalidParam(
          `Cannot permanently delete experiment '${experimentId}': it must be deleted first`,
        );
      }
      Deno.removeSync(loc.dir, { recursive: true });
      this.#reader.cache.forget(loc.dir);
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
