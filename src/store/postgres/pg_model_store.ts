/**
 * The logged-model half of the PostgreSQL store: PgStore extends this class, which keeps these
 * operations out of the main façade. Row work lives in pg_models.ts; searches compile with
 * sqlite/sql_models.ts in the POSTGRES dialect. No page cache: with several servers on one
 * database, no process could tell when its cached order went stale, so every page is a query.
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
import { encodeLoggedModelToken } from "../../search/logged_model_token.ts";
import {
  validateKey,
  validateModelParams,
  validateModelTags,
  validateNewModel,
} from "../../validate.ts";
import { prepareModelSearch } from "../model_search.ts";
import type { CreateLoggedModelRequest, SearchLoggedModelsRequest } from "../store.ts";
import { newModelRow } from "../sqlite/model_rows.ts";
import { RUN_EXPERIMENT_SQL } from "../sqlite/run_statements.ts";
import { POSTGRES } from "../sqlite/sql.ts";
import { compileModelSearch } from "../sqlite/sql_models.ts";
import { sqlExperimentId } from "../sqlite/sqlite_reader.ts";
import type { PgDb } from "./pg_db.ts";
import {
  deleteModelRows,
  deleteModelTag,
  insertModel,
  insertModelParams,
  modelExperiment,
  modelsByIds,
  updateModel,
  upsertModelTags,
} from "./pg_models.ts";

/** Logged models over one PostgreSQL database. */
export abstract class PgModelStore {
  /** The database, clock and value policy of the store. */
  protected abstract get modelDb(): { db: PgDb; clock: Clock; truncate: boolean };

  async createLoggedModel(req: CreateLoggedModelRequest): Promise<LoggedModel> {
    const { db, clock, truncate } = this.modelDb;
    const { experimentId, name, params, tags } = validateNewModel(req, truncate);
    const id = sqlExperimentId(experimentId);
    const modelId = newLoggedModelId();
    await db.write(async (w) => {
      const exp = await w.one<{ s: string | null; loc: string | null }>(
        `${RUN_EXPERIMENT_SQL} FOR SHARE`,
        id,
      );
      const m = { experimentId, id, modelId, name, params, tags };
      const { modelType, sourceRunId } = req;
      await insertModel(w, newModelRow(exp, { ...m, modelType, sourceRunId }, clock));
    });
    return this.getLoggedModel(modelId);
  }

  getLoggedModel(modelId: string, o: { allowDeleted?: boolean } = {}): Promise<LoggedModel> {
    return this.modelDb.db.read(async (r) => {
      await modelExperiment(r, modelId, o.allowDeleted);
      const [m] = await modelsByIds(r, [modelId]);
      return m;
    });
  }

  async finalizeLoggedModel(modelId: string, status: LoggedModelStatus): Promise<LoggedModel> {
    if (!isLoggedModelStatus(status)) throw invalidParam(`Unknown model status: ${status}`);
    const code = LOGGED_MODEL_STATUSES.indexOf(status);
    const { db, clock } = this.modelDb;
    await db.write((w) => updateModel(w, modelId, clock(), { status: code }));
    return this.getLoggedModel(modelId);
  }

  async deleteLoggedModel(modelId: string): Promise<void> {
    const { db, clock } = this.modelDb;
    await db.write((w) => updateModel(w, modelId, clock(), { stage: "deleted" }));
  }

  async setLoggedModelTags(modelId: string, tags: Tag[]): Promise<void> {
    const valid = validateModelTags(tags);
    await this.modelDb.db.write(async (w) =>
      upsertModelTags(w, modelId, await modelExperiment(w, modelId), valid)
    );
  }

  async deleteLoggedModelTag(modelId: string, key: string): Promise<void> {
    validateKey(key, "key");
    await this.modelDb.db.write(async (w) => {
      await modelExperiment(w, modelId);
      await deleteModelTag(w, modelId, key);
    });
  }

  async logLoggedModelParams(modelId: string, params: Param[]): Promise<void> {
    const valid = validateModelParams(params, this.modelDb.truncate);
    await this.modelDb.db.write(async (w) =>
      insertModelParams(w, modelId, await modelExperiment(w, modelId), valid)
    );
  }

  async searchLoggedModels(req: SearchLoggedModelsRequest): Promise<Page<LoggedModel>> {
    const q = prepareModelSearch(req);
    const experimentIds = q.experimentIds.map(sqlExperimentId);
    if (experimentIds.length === 0) return { items: [] };
    return await this.modelDb.db.read(async (r) => {
      const { sql, params } = compileModelSearch({
        experimentIds,
        filter: q.filter,
        datasets: q.datasets,
        order: q.order,
        limit: q.max + 1,
        offset: q.offset,
        dialect: POSTGRES,
      });
      const ids = (await r.all<{ model_id: string }>(sql, ...params)).map((x) => x.model_id);
      const items = await modelsByIds(r, ids.slice(0, q.max));
      return ids.length > q.max
        ? { items, nextPageToken: encodeLoggedModelToken(req, q.offset + q.max) }
        : { items };
    });
  }

  deletedLoggedModelIds(before?: number): Promise<string[]> {
    return this.modelDb.db.read(async (r) =>
      (await r.all<{ model_id: string }>(
        "SELECT model_id FROM logged_models WHERE lifecycle_stage = 'deleted' AND " +
          "(?::bigint IS NULL OR last_updated_timestamp_ms < ?::bigint) ORDER BY model_id",
        before ?? null,
        before ?? null,
      )).map((x) => x.model_id)
    );
  }

  async hardDeleteLoggedModel(modelId: string): Promise<void> {
    await this.modelDb.db.write(async (w) => {
      await modelExperiment(w, modelId, true);
      await deleteModelRows(w, "model_id = ?", modelId);
    });
  }
}
