/**
 * The logged-model half of the SQLite store (MLflow 3's `logged_models` tables): SqliteStore
 * extends this class, which keeps these operations out of the main façade. Row work lives in
 * sqlite_models.ts, searches in sqlite_model_search.ts.
 */
import { invalidParam } from "../../errors.ts";
import { type Clock, newLoggedModelId } from "../../ids.ts";
import {
  isLoggedModelStatus,
  LOGGED_MODEL_STATUSES,
  type LoggedModel,
  type LoggedModelStatus,
  type Page,
  type Param,
  type Tag,
} from "../../model.ts";
import {
  validateKey,
  validateModelParams,
  validateModelTags,
  validateNewModel,
} from "../../validate.ts";
import type { CreateLoggedModelRequest, SearchLoggedModelsRequest } from "../store.ts";
import type { Connections, Statements } from "./connection.ts";
import {
  deleteModelRows,
  deleteModelTag,
  insertModel,
  insertModelParams,
  modelExperiment,
  modelsByIds,
  updateModel,
  upsertModelTags,
} from "./sqlite_models.ts";
import { lazyModule } from "../../lazy_module.ts";
import { newModelRow } from "./model_rows.ts";
import { RUN_EXPERIMENT_SQL } from "./run_statements.ts";
import type { PageCache } from "./sqlite_model_search.ts";
import { sqlExperimentId } from "./sqlite_reader.ts";

// The logged-model search loads on its first call: it is not needed to start a server.
const modelSearch = lazyModule(() => import("./sqlite_model_search.ts"));

/** What the logged-model operations need from the store. */
export interface SqliteModelContext {
  db: Connections;
  clock: Clock;
  truncate: boolean;
  read<T>(fn: (r: Statements) => T): Promise<T>;
}

/** Logged models over one SQLite database; the store supplies its connections. */
export abstract class SqliteModelStore {
  /** The store's connections, clock and options. */
  protected abstract modelContext(): SqliteModelContext;

  // Only with a reader that never writes (not :memory:): see PageCache.
  #pages?: PageCache;

  get #ctx(): SqliteModelContext {
    return this.modelContext();
  }

  async createLoggedModel(req: CreateLoggedModelRequest): Promise<LoggedModel> {
    const { experimentId, name, params, tags } = validateNewModel(req, this.#ctx.truncate);
    const id = sqlExperimentId(experimentId);
    const modelId = newLoggedModelId();
    await this.#ctx.db.write((w) => {
      const exp = w.one<{ s: string | null; loc: string | null }>(RUN_EXPERIMENT_SQL, id);
      const m = { experimentId, id, modelId, name, params, tags };
      const { modelType, sourceRunId } = req;
      insertModel(w, newModelRow(exp, { ...m, modelType, sourceRunId }, () => this.#ctx.clock()));
    });
    return this.getLoggedModel(modelId);
  }

  getLoggedModel(modelId: string, o: { allowDeleted?: boolean } = {}): Promise<LoggedModel> {
    return this.#ctx.read((r) => {
      modelExperiment(r, modelId, o.allowDeleted);
      return modelsByIds(r, [modelId])[0];
    });
  }

  async finalizeLoggedModel(modelId: string, status: LoggedModelStatus): Promise<LoggedModel> {
    if (!isLoggedModelStatus(status)) throw invalidParam(`Unknown model status: ${status}`);
    const code = LOGGED_MODEL_STATUSES.indexOf(status);
    await this.#ctx.db.write((w) => updateModel(w, modelId, this.#ctx.clock(), { status: code }));
    return this.getLoggedModel(modelId);
  }

  async deleteLoggedModel(modelId: string): Promise<void> {
    await this.#ctx.db.write((w) =>
      updateModel(w, modelId, this.#ctx.clock(), { stage: "deleted" })
    );
  }

  async setLoggedModelTags(modelId: string, tags: Tag[]): Promise<void> {
    const valid = validateModelTags(tags);
    await this.#ctx.db.write((w) =>
      upsertModelTags(w, modelId, modelExperiment(w, modelId), valid)
    );
  }

  async deleteLoggedModelTag(modelId: string, key: string): Promise<void> {
    validateKey(key, "key");
    await this.#ctx.db.write((w) => {
      modelExperiment(w, modelId);
      deleteModelTag(w, modelId, key);
    });
  }

  async logLoggedModelParams(modelId: string, params: Param[]): Promise<void> {
    const valid = validateModelParams(params, this.#ctx.truncate);
    await this.#ctx.db.write((w) =>
      insertModelParams(w, modelId, modelExperiment(w, modelId), valid)
    );
  }

  async searchLoggedModels(req: SearchLoggedModelsRequest): Promise<Page<LoggedModel>> {
    const { PageCache, searchModelsSql } = await modelSearch();
    const { db } = this.#ctx;
    if (db.reader !== db.writer) this.#pages ??= new PageCache();
    return this.#ctx.read((r) => searchModelsSql(r, req, this.#pages));
  }

  async deletedLoggedModelIds(before?: number): Promise<string[]> {
    const { deletedModelIdsSql } = await modelSearch();
    return this.#ctx.read((r) => deletedModelIdsSql(r, before));
  }

  async hardDeleteLoggedModel(modelId: string): Promise<void> {
    await this.#ctx.db.write((w) => {
      modelExperiment(w, modelId, true);
      deleteModelRows(w, "model_id = ?", modelId);
    });
  }
}
