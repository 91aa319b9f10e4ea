/**
 * The SQLite store: MLflow's SQL schema at the pinned revision (a database mlt writes opens in
 * MLflow, and MLflow's opens in mlt), on node:sqlite. Writes run in one BEGIN IMMEDIATE
 * transaction each (a whole log-batch included), reads on a second connection.
 * Must not import other store implementations' classes, api/, ui/ or cli/.
 */
import { lazyModule } from "../../lazy_module.ts";
import { invalidParam, notFound } from "../../errors.ts";
import { type Clock, newRunId } from "../../ids.ts";
import {
  DEFAULT_EXPERIMENT_ID,
  type Experiment,
  isRunStatus,
  type Metric,
  type ModelInput,
  type ModelOutput,
  type Page,
  type Param,
  type Run,
  type RunInfo,
  TAG,
  type Tag,
} from "../../model.ts";
import { decodePageToken } from "../../search/page_token.ts";
import {
  newRunName,
  validateArtifactLocation,
  validateBatch,
  validateDatasetInputs,
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
  StoreSummary,
  TrackingStore,
  UpdateRunRequest,
} from "../store.ts";
import type { DatasetInput } from "../../model.ts";
// Pure URI math shared with the file store (no I/O, no YAML).
import { checkArtifactUri, tryLocalDir } from "../artifact_guard.ts";
import { appendUriPath, resolveUriIfLocal } from "../file/layout.ts";
import type { Connections, Statements } from "./connection.ts";
import {
  type OpenSqlite,
  openSqlite,
  readAsync,
  type SqliteStoreOptions,
  storeSummary,
} from "./sqlite_open.ts";
import {
  experimentById,
  experimentByName,
  runById,
  runInfo,
  sqlExperimentId,
} from "./sqlite_reader.ts";
import {
  activeRun,
  checkNameFree,
  deleteExperimentRows,
  deleteRunRows,
  experimentStage,
  insertExperiment,
  insertInputs,
  nextExperimentId,
  upsertExperimentTag,
  upsertRunTag,
  writeBatch,
} from "./sqlite_writer.ts";
import { SqliteImport } from "./sqlite_import.ts";
import { insertModelLinks } from "./sqlite_models.ts";
import { type SqliteModelContext, SqliteModelStore } from "./sqlite_model_store.ts";
import {
  activeExperimentId,
  insertRunRow,
  renameExperimentRow,
  setExperimentStage,
} from "./sqlite_lifecycle.ts";

// Searches and histories load on their first call: their parsers and queries are not needed to
// start a server (docs/startup.md). One module each, kept once loaded.
const search = lazyModule(() => import("./sqlite_search.ts"));
const history = lazyModule(() => import("./sqlite_history.ts"));

export type { SqliteStoreOptions } from "./sqlite_open.ts";

/** MLflow's tracking store over one SQLite database (logged models: SqliteModelStore). */
export class SqliteStore extends SqliteModelStore implements TrackingStore {
  readonly uri: string;
  /** The database file (`:memory:` for an in-memory database). */
  readonly path: string;
  /** Privileged writes of `mlt migrate` (ids, times and states kept as they are). */
  readonly import: SqliteImport;
  #db: Connections;
  #clock: Clock;
  #artifactRoot: string;
  #truncate: boolean;
  #cwd: string;

  /** Opens `uri`; `opened`: connections opened already (lazy_sqlite_store.ts). */
  constructor(uri: string, opts: SqliteStoreOptions = {}, opened?: OpenSqlite) {
    super();
    const o = opened ?? openSqlite(uri, opts);
    this.uri = o.uri;
    this.path = o.path;
    this.#cwd = o.cwd;
    this.#clock = o.clock;
    this.#truncate = o.truncate;
    this.#artifactRoot = o.artifactRoot;
    this.#db = o.db;
    this.import = new SqliteImport(this.#db);
  }

  /** The open database, shared with a model registry on the same URI (open_registry.ts). */
  get connections(): Connections {
    return this.#db;
  }

  protected modelContext(): SqliteModelContext {
    return {
      db: this.#db,
      clock: this.#clock,
      truncate: this.#truncate,
      read: (fn) => this.#read(fn),
    };
  }

  /** Why the store refuses writes (an unknown, newer schema revision), if it does. */
  get readOnlyReason(): string | undefined {
    return this.#db.readOnlyReason;
  }

  #read<T>(fn: (r: Statements) => T): Promise<T> {
    return readAsync(this.#db, fn);
  }

  async createExperiment(name: string, artifactLocation?: string, tags?: Tag[]): Promise<string> {
    validateExperimentName(name);
    const expTags = (tags ?? []).map(validateExperimentTag);
    let location: string | undefined;
    if (artifactLocation) {
      location = resolveUriIfLocal(validateArtifactLocation(artifactLocation), this.#cwd);
      const root = tryLocalDir(this.#artifactRoot);
      checkArtifactUri(location, { artifactRoots: root === undefined ? [] : [root] });
    }
    return await this.#db.write((w) => {
      checkNameFree(w, name);
      const id = nextExperimentId(w);
      const now = this.#clock();
      insertExperiment(w, {
        id,
        name,
        location: location ?? appendUriPath(this.#artifactRoot, String(id)),
        stage: "active",
        creationTime: now,
        lastUpdateTime: now,
      }, expTags);
      return String(id);
    });
  }

  getExperiment(experimentId: string): Promise<Experiment> {
    return this.#read((r) => experimentById(r, validateExperimentId(experimentId)));
  }

  getExperimentByName(name: string): Promise<Experiment | undefined> {
    return this.#read((r) => experimentByName(r, name));
  }

  // Two counts: the start banner needs neither the search parsers nor their queries.
  summary(): Promise<StoreSummary> {
    return storeSummary(this.#db);
  }

  async searchExperiments(req: SearchExperimentsRequest): Promise<Page<Experiment>> {
    const { searchExperimentsSql } = await search();
    return this.#read((r) => searchExperimentsSql(r, req));
  }

  async renameExperiment(experimentId: string, newName: string): Promise<void> {
    validateExperimentName(newName);
    validateExperimentId(experimentId);
    await this.#db.write((w) => renameExperimentRow(w, experimentId, newName, this.#clock()));
  }

  async deleteExperiment(experimentId: string): Promise<void> {
    if (sqlExperimentId(validateExperimentId(experimentId)) === 0n) {
      // MLflow's SQL store allows it; mlt keeps the default experiment, as the file store does.
      throw invalidParam(
        `Cannot delete the default experiment '${DEFAULT_EXPERIMENT_ID}'. This is an internally ` +
          "reserved experiment.",
      );
    }
    await this.#db.write((w) => setExperimentStage(w, experimentId, "deleted", this.#clock()));
  }

  async restoreExperiment(experimentId: string): Promise<void> {
    validateExperimentId(experimentId);
    await this.#db.write((w) => setExperimentStage(w, experimentId, "active", this.#clock()));
  }

  async setExperimentTag(experimentId: string, tag: Tag): Promise<void> {
    const t = validateExperimentTag(tag);
    validateExperimentId(experimentId);
    await this.#db.write((w) => upsertExperimentTag(w, activeExperimentId(w, experimentId), t));
  }

  async deleteExperimentTag(experimentId: string, key: string): Promise<void> {
    validateKey(key, "key");
    validateExperimentId(experimentId);
    await this.#db.write((w) => {
      const id = activeExperimentId(w, experimentId);
      const n = w.run("DELETE FROM experiment_tags WHERE experiment_id = ? AND key = ?", id, key);
      if (n === 0) throw notFound(`No tag with name: ${key} in experiment with id ${experimentId}`);
    });
  }

  async createRun(req: CreateRunRequest): Promise<Run> {
    const experimentId = req.experimentId || DEFAULT_EXPERIMENT_ID;
    validateExperimentId(experimentId);
    validateText(req.userId, "user_id");
    const { runName, tags } = newRunName(
      req.runName,
      (req.tags ?? []).map((t) => validateTag(t, this.#truncate)),
    );
    const runId = newRunId();
    await this.#db.write((w) => {
      insertRunRow(w, {
        runId,
        experimentId,
        name: runName,
        userId: req.userId || "unknown",
        startTime: req.startTime ?? this.#clock(),
        artifactUri: (loc) => appendUriPath(loc, runId, "artifacts"),
      });
      for (const t of tags) upsertRunTag(w, runId, t);
    });
    return this.getRun(runId);
  }

  getRun(runId: string): Promise<Run> {
    return this.#read((r) => runById(r, validateRunId(runId)));
  }

  async updateRun(req: UpdateRunRequest): Promise<RunInfo> {
    validateRunId(req.runId);
    validateText(req.runName, "run_name");
    if (req.status !== undefined && !isRunStatus(req.status)) {
      throw invalidParam(`Invalid run status "${req.status}"`);
    }
    await this.#db.write((w) => {
      activeRun(w, req.runId);
      if (req.status) w.run("UPDATE runs SET status = ? WHERE run_uuid = ?", req.status, req.runId);
      if (req.endTime !== undefined && req.endTime !== null) {
        w.run("UPDATE runs SET end_time = ? WHERE run_uuid = ?", req.endTime, req.runId);
      }
      if (req.runName) upsertRunTag(w, req.runId, { key: TAG.runName, value: req.runName });
    });
    return this.#read((r) => runInfo(r, req.runId));
  }

  async #setRunStage(runId: string, stage: "active" | "deleted"): Promise<void> {
    validateRunId(runId);
    await this.#db.write((w) => {
      const n = w.run(
        "UPDATE runs SET lifecycle_stage = ?, deleted_time = ? WHERE run_uuid = ?",
        stage,
        stage === "deleted" ? this.#clock() : null,
        runId,
      );
      if (n === 0) throw notFound(`Run with id=${runId} not found`);
    });
  }

  deleteRun(runId: string): Promise<void> {
    return this.#setRunStage(runId, "deleted");
  }

  restoreRun(runId: string): Promise<void> {
    return this.#setRunStage(runId, "active");
  }

  async searchRuns(req: SearchRunsRequest): Promise<Page<Run>> {
    const { searchRunsSql } = await search();
    return this.#read((r) => searchRunsSql(r, req));
  }

  logMetric(runId: string, metric: Metric): Promise<void> {
    return this.logBatch(runId, { metrics: [metric] });
  }

  logParam(runId: string, param: Param): Promise<void> {
    return this.logBatch(runId, { params: [param] });
  }

  setTag(runId: string, tag: Tag): Promise<void> {
    return this.logBatch(runId, { tags: [tag] });
  }

  async deleteTag(runId: string, key: string): Promise<void> {
    validateRunId(runId);
    validateKey(key, "key");
    await this.#db.write((w) => {
      activeRun(w, runId);
      const n = w.run("DELETE FROM tags WHERE run_uuid = ? AND key = ?", runId, key);
      if (n === 0) throw notFound(`No tag with name: ${key} in run with id ${runId}`);
    });
  }

  async logBatch(runId: string, batch: LogBatch): Promise<void> {
    validateRunId(runId);
    // Everything is validated first; the rows then go in one transaction, all or nothing.
    const { params, metrics, tags } = validateBatch(batch, this.#truncate);
    await this.#db.write((w) => writeBatch(w, runId, { params, metrics, tags }));
  }

  async getMetricHistory(
    runId: string,
    key: string,
    req: HistoryRequest = {},
  ): Promise<Page<Metric>> {
    const { fullHistory, historyPage } = await history();
    return this.#read((r) => {
      validateRunId(runId);
      validateKey(key, "Metric name");
      const max = req.maxResults ?? 0;
      if (!Number.isInteger(max) || max < 0) {
        throw invalidParam(`Invalid value ${max} for parameter 'max_results' supplied`);
      }
      const idx = { history: this.#db.hasHistoryIndex, key: this.#db.metricsKeyIndex };
      if (max === 0) {
        const offset = decodePageToken(req.pageToken);
        runInfo(r, runId);
        return { items: fullHistory(r, runId, key, idx).slice(offset) };
      }
      decodePageToken(req.pageToken); // a bad token is refused before the run is looked up
      runInfo(r, runId);
      return historyPage(r, runId, key, max, req.pageToken, idx);
    });
  }

  async logInputs(runId: string, datasets: DatasetInput[], models: ModelInput[] = []) {
    validateRunId(runId);
    validateDatasetInputs(datasets);
    validateModelLinks(models);
    await this.#db.write((w) => {
      const { experimentId } = activeRun(w, runId);
      insertInputs(w, runId, experimentId, datasets, newRunId);
      insertModelLinks(w, runId, "input", models, newRunId);
    });
  }

  async logOutputs(runId: string, models: ModelOutput[]): Promise<void> {
    validateRunId(runId);
    validateModelLinks(models);
    await this.#db.write((w) => {
      activeRun(w, runId);
      insertModelLinks(w, runId, "output", models, newRunId);
    });
  }

  deletedRunIds(before?: number): Promise<string[]> {
    return this.#read((r) =>
      r.all<{ run_uuid: string }>(
        "SELECT run_uuid FROM runs WHERE lifecycle_stage = 'deleted' AND " +
          "(? IS NULL OR deleted_time IS NULL OR deleted_time < ?) ORDER BY run_uuid",
        before ?? null,
        before ?? null,
      ).map((x) => x.run_uuid)
    );
  }

  async hardDeleteRun(runId: string): Promise<void> {
    validateRunId(runId);
    await this.#db.write((w) => {
      if (!w.one("SELECT 1 FROM runs WHERE run_uuid = ?", runId)) {
        throw notFound(`Run with id=${runId} not found`);
      }
      deleteRunRows(w, runId);
    });
  }

  async hardDeleteExperiment(experimentId: string): Promise<void> {
    const id = sqlExperimentId(validateExperimentId(experimentId));
    await this.#db.write((w) => {
      const stage = experimentStage(w, id);
      if (stage === undefined) throw notFound(`No Experiment with id=${experimentId} exists`);
      if (stage !== "deleted") {
        throw invalidParam(
          `Cannot permanently delete experiment '${experimentId}': it must be deleted first`,
        );
      }
      deleteExperimentRows(w, id);
    });
  }

  close(): Promise<void> {
    this.#db.close();
    return Promise.resolve();
  }
}
