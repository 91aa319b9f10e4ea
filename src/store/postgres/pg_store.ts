/**
 * The PostgreSQL store: MLflow's SQL schema at the pinned revision (mlflow_pg_ddl.ts), so
 * `mlflow server` and any number of `mlt server` processes can share one database. Stateless
 * between requests (no cache can go stale across servers): reads go to a pooled connection,
 * each write is one transaction (a whole log-batch included), concurrent writers are serialized
 * by PostgreSQL's row locks and constraints. Logged models: PgModelStore.
 * Must not import other store implementations' classes, api/, ui/ or cli/.
 */
import { invalidParam, notFound } from "../../errors.ts";
import { type Clock, newRunId, systemClock } from "../../ids.ts";
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
  StoreOptions,
  TrackingStore,
  UpdateRunRequest,
} from "../store.ts";
import type { DatasetInput } from "../../model.ts";
import { checkArtifactUri, tryLocalDir } from "../artifact_guard.ts";
import { appendUriPath, resolveUriIfLocal } from "../file/layout.ts";
import { displayUri } from "../open_uri.ts";
import { sqlExperimentId } from "../sqlite/sqlite_reader.ts";
import { PgDb, type PgPoolOptions } from "./pg_db.ts";
import { writeBatch } from "./pg_batch.ts";
import {
  experimentById,
  experimentByName,
  runById,
  runInfo,
  searchExperiments,
  searchRuns,
} from "./pg_reader.ts";
import { activeRun, insertInputs, upsertExperimentTags, upsertRunTags } from "./pg_writer.ts";
import {
  activeExperimentId,
  createExperimentRow,
  deleteExperimentRows,
  insertRunRow,
  renameExperimentRow,
  setExperimentStage,
} from "./pg_lifecycle.ts";
import { deleteRunRows } from "./pg_writer.ts";
import { fullHistory, historyPage } from "./pg_history.ts";
import { insertModelLinks } from "./pg_models.ts";
import { PgModelStore } from "./pg_model_store.ts";
import { PgImport } from "./pg_import.ts";
import { DriverChoices } from "../sqlite/sqlite_search.ts";

/** Options of the PostgreSQL store. */
export interface PgStoreOptions extends StoreOptions, PgPoolOptions {
  /** Directory that a relative artifact root resolves against (default: cwd). */
  cwd?: string;
}

/** MLflow's tracking store over one PostgreSQL database. */
export class PgStore extends PgModelStore implements TrackingStore {
  readonly uri: string;
  /** Privileged writes of `mlt migrate` (ids, times and states kept as they are). */
  readonly import: PgImport;
  #db: PgDb;
  #clock: Clock;
  #artifactRoot: string;
  #truncate: boolean;
  #cwd: string;
  #drivers = new DriverChoices();

  constructor(uri: string, opts: PgStoreOptions = {}) {
    super();
    this.uri = uri;
    this.#cwd = opts.cwd ?? Deno.cwd();
    this.#clock = opts.clock ?? systemClock;
    this.#truncate = opts.truncateLongValues ?? true;
    this.#artifactRoot = resolveUriIfLocal(opts.artifactRoot ?? "./mlruns", this.#cwd);
    this.#db = new PgDb(uri, {
      shownUri: displayUri(uri),
      warn: opts.warn ?? console.warn,
      now: this.#clock,
      defaultLocation: () => appendUriPath(this.#artifactRoot, DEFAULT_EXPERIMENT_ID),
    }, opts);
    this.import = new PgImport(this.#db);
  }

  /** The open database, shared with a model registry on the same URI (open_registry.ts). */
  get database(): PgDb {
    return this.#db;
  }

  protected get modelDb() {
    return { db: this.#db, clock: this.#clock, truncate: this.#truncate };
  }

  /** Why the store refuses writes (an unknown, newer schema revision), once opened. */
  get readOnlyReason(): string | undefined {
    return this.#db.readOnlyReason;
  }

  /** Connects and checks (or creates) the schema now instead of at the first operation. */
  open(): Promise<void> {
    return this.#db.ready();
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
    const now = this.#clock();
    const id = await this.#db.write((w) =>
      createExperimentRow(
        w,
        { name, stage: "active", creationTime: now, lastUpdateTime: now },
        (id) => location ?? appendUriPath(this.#artifactRoot, String(id)),
        expTags,
      )
    );
    return String(id);
  }

  async getExperiment(experimentId: string): Promise<Experiment> {
    validateExperimentId(experimentId);
    return await this.#db.read((r) => experimentById(r, experimentId));
  }

  getExperimentByName(name: string): Promise<Experiment | undefined> {
    return this.#db.read((r) => experimentByName(r, name));
  }

  searchExperiments(req: SearchExperimentsRequest): Promise<Page<Experiment>> {
    return this.#db.read((r) => searchExperiments(r, req));
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
    await this.#db.write(async (w) =>
      upsertExperimentTags(w, await activeExperimentId(w, experimentId), [t])
    );
  }

  async deleteExperimentTag(experimentId: string, key: string): Promise<void> {
    validateKey(key, "key");
    validateExperimentId(experimentId);
    await this.#db.write(async (w) => {
      const id = await activeExperimentId(w, experimentId);
      const n = await w.run(
        "DELETE FROM experiment_tags WHERE experiment_id = ? AND key = ?",
        id,
        key,
      );
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
    await this.#db.write(async (w) => {
      await insertRunRow(w, {
        runId,
        experimentId,
        name: runName,
        userId: req.userId || "unknown",
        startTime: req.startTime ?? this.#clock(),
        artifactUri: (loc) => appendUriPath(loc, runId, "artifacts"),
      });
      await upsertRunTags(w, runId, tags);
    });
    return this.getRun(runId);
  }

  async getRun(runId: string): Promise<Run> {
    validateRunId(runId);
    return await this.#db.read((r) => runById(r, runId));
  }

  async updateRun(req: UpdateRunRequest): Promise<RunInfo> {
    validateRunId(req.runId);
    validateText(req.runName, "run_name");
    if (req.status !== undefined && !isRunStatus(req.status)) {
      throw invalidParam(`Invalid run status "${req.status}"`);
    }
    return await this.#db.write(async (w) => {
      await activeRun(w, req.runId);
      const end = req.endTime !== undefined && req.endTime !== null ? req.endTime : null;
      await w.run(
        "UPDATE runs SET status = COALESCE(?::text, status), end_time = COALESCE(?::bigint, " +
          "end_time) WHERE run_uuid = ?",
        req.status ?? null,
        end,
        req.runId,
      );
      if (req.runName) {
        await upsertRunTags(w, req.runId, [{ key: TAG.runName, value: req.runName }]);
      }
      return runInfo(w, req.runId);
    });
  }

  async #setRunStage(runId: string, stage: "active" | "deleted"): Promise<void> {
    validateRunId(runId);
    await this.#db.write(async (w) => {
      const n = await w.run(
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

  searchRuns(req: SearchRunsRequest): Promise<Page<Run>> {
    return this.#db.read((r) => searchRuns(r, req, this.#drivers));
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
    await this.#db.write(async (w) => {
      await activeRun(w, runId);
      const n = await w.run("DELETE FROM tags WHERE run_uuid = ? AND key = ?", runId, key);
      if (n === 0) throw notFound(`No tag with name: ${key} in run with id ${runId}`);
    });
  }

  async logBatch(runId: string, batch: LogBatch): Promise<void> {
    validateRunId(runId);
    // Everything is validated first; the rows then go in all or nothing (pg_batch.ts).
    await writeBatch(this.#db, runId, validateBatch(batch, this.#truncate));
  }

  async getMetricHistory(
    runId: string,
    key: string,
    req: HistoryRequest = {},
  ): Promise<Page<Metric>> {
    validateRunId(runId);
    validateKey(key, "Metric name");
    const max = req.maxResults ?? 0;
    if (!Number.isInteger(max) || max < 0) {
      throw invalidParam(`Invalid value ${max} for parameter 'max_results' supplied`);
    }
    const offset = decodePageToken(req.pageToken); // a bad token is refused before the lookup
    return await this.#db.read(async (r) => {
      await runInfo(r, runId);
      if (max === 0) return { items: (await fullHistory(r, runId, key)).slice(offset) };
      return await historyPage(r, runId, key, max, req.pageToken);
    });
  }

  async logInputs(runId: string, datasets: DatasetInput[], models: ModelInput[] = []) {
    validateRunId(runId);
    validateDatasetInputs(datasets);
    validateModelLinks(models);
    await this.#db.write(async (w) => {
      const { experimentId } = await activeRun(w, runId);
      await insertInputs(w, runId, experimentId, datasets, newRunId);
      await insertModelLinks(w, runId, "input", models, newRunId);
    });
  }

  async logOutputs(runId: string, models: ModelOutput[]): Promise<void> {
    validateRunId(runId);
    validateModelLinks(models);
    await this.#db.write(async (w) => {
      await activeRun(w, runId);
      await insertModelLinks(w, runId, "output", models, newRunId);
    });
  }

  deletedRunIds(before?: number): Promise<string[]> {
    return this.#db.read(async (r) =>
      (await r.all<{ run_uuid: string }>(
        "SELECT run_uuid FROM runs WHERE lifecycle_stage = 'deleted' AND " +
          "(?::bigint IS NULL OR deleted_time IS NULL OR deleted_time < ?::bigint) " +
          "ORDER BY run_uuid",
        before ?? null,
        before ?? null,
      )).map((x) => x.run_uuid)
    );
  }

  async hardDeleteRun(runId: string): Promise<void> {
    validateRunId(runId);
    await this.#db.write(async (w) => {
      if (!await w.one("SELECT 1 FROM runs WHERE run_uuid = ? FOR UPDATE", runId)) {
        throw notFound(`Run with id=${runId} not found`);
      }
      await deleteRunRows(w, runId);
    });
  }

  async hardDeleteExperiment(experimentId: string): Promise<void> {
    const id = sqlExperimentId(validateExperimentId(experimentId));
    await this.#db.write(async (w) => {
      const row = await w.one<{ s: string | null }>(
        "SELECT lifecycle_stage AS s FROM experiments WHERE experiment_id = ? FOR UPDATE",
        id,
      );
      if (!row) throw notFound(`No Experiment with id=${experimentId} exists`);
      if ((row.s ?? "active") !== "deleted") {
        throw invalidParam(
          `Cannot permanently delete experiment '${experimentId}': it must be deleted first`,
        );
      }
      await deleteExperimentRows(w, id);
    });
  }

  close(): Promise<void> {
    return this.#db.close();
  }
}
