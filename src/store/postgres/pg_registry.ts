/**
 * The PostgreSQL store's model registry over MLflow's registry tables (pg_registry_rows.ts), on
 * the tracking store's pool or its own. Each write is one transaction; a new version locks its
 * model's row first, so concurrent `create_model_version` calls from any number of servers get
 * consecutive numbers.
 */
import { type Clock, systemClock } from "../../ids.ts";
import type { Page, Tag } from "../../model.ts";
import {
  DELETED_STAGE,
  isPromptTags,
  LATEST_ALIAS,
  type ModelVersion,
  type RegisteredModel,
} from "../../registry_model.ts";
import {
  parseVersion,
  validateAlias,
  validateAliasNotReserved,
  validateModelName,
  validateRegistryTag,
  validateRegistryTagKey,
  validateRegistryTags,
} from "../../registry_validate.ts";
import {
  parseModelVersionFilter,
  parseModelVersionOrderBy,
  parseRegisteredModelFilter,
  parseRegisteredModelOrderBy,
} from "../../search/registry_filter.ts";
import { decodePageToken, encodePageToken } from "../../search/page_token.ts";
import type {
  CreateModelVersionRequest,
  ModelRegistryStore,
  RegistrySearchRequest,
} from "../registry.ts";
import {
  aliasNotFound,
  latestVersion,
  modelExists,
  modelNotFound,
  modelsPerPage,
  requestedStages,
  storageLocation,
  transitionStage,
  versionNotFound,
  versionsPerPage,
} from "../registry_rules.ts";
import type { StoreOptions } from "../store.ts";
import { displayUri } from "../open_uri.ts";
import { modelFromRow, versionFromRow } from "../sqlite/registry_rows.ts";
import { compileModelSearch, compileVersionSearch, WORKSPACE } from "../sqlite/registry_sql.ts";
import { POSTGRES, type Query } from "../sqlite/sql.ts";
import { PgDb, type PgPoolOptions, type Q } from "./pg_db.ts";
import {
  deleteModelRows,
  findModel,
  insertModel,
  insertVersion,
  readFull,
  readLatest,
  readModel,
  readVersion,
  SCOPE,
  setAlias,
  setModelTag,
  setVersionTag,
  stageVersion,
  tombstoneVersion,
  withExtras,
  withTags,
} from "./pg_registry_rows.ts";

/** Options of the PostgreSQL registry. */
export interface PgRegistryOptions extends StoreOptions, PgPoolOptions {}

async function searchPage<T>(
  r: Q,
  max: number,
  token: string | undefined,
  compile: (limit: number, offset: number) => Query,
  finish: (rows: unknown[][]) => Promise<T[]>,
): Promise<Page<T>> {
  const offset = decodePageToken(token);
  const q = compile(max + 1, offset);
  const rows = await r.arrays(q.sql, ...q.params);
  const items = await finish(rows.slice(0, max));
  return rows.length > max ? { items, nextPageToken: encodePageToken(offset + max) } : { items };
}

/** MLflow's model registry in a PostgreSQL database. */
export class PgRegistryStore implements ModelRegistryStore {
  readonly uri: string;
  #db: PgDb;
  #own: boolean;
  #clock: Clock;

  /** Opens `uri`, or shares the pool of the tracking store on the same database. */
  constructor(uri: string, opts: PgRegistryOptions = {}, shared?: PgDb) {
    this.uri = uri;
    this.#clock = opts.clock ?? systemClock;
    this.#own = shared === undefined;
    this.#db = shared ?? new PgDb(uri, {
      shownUri: displayUri(uri),
      warn: opts.warn ?? console.warn,
      now: this.#clock,
      // Only reached on a new database; the tracking store's default, as MLflow's.
      defaultLocation: () => `${Deno.cwd()}/mlruns/0`,
    }, opts);
  }

  async createRegisteredModel(name: string, tags: Tag[] = [], description?: string) {
    validateModelName(name);
    const checked = validateRegistryTags(tags);
    const now = this.#clock();
    return await this.#db.write(async (w): Promise<RegisteredModel> => {
      const old = await findModel(w, name);
      if (old) throw modelExists(name, isPromptTags(old.tags), isPromptTags(checked));
      await insertModel(w, name, { created: now, updated: now }, description, checked);
      return {
        name,
        creationTimestamp: now,
        lastUpdatedTimestamp: now,
        description,
        latestVersions: [],
        tags: checked,
        aliases: [],
      };
    }).catch((e) => {
      // Another server created it meanwhile: the same answer as if it had been there first.
      if ((e as { code?: string }).code === "23505" || /registered_model_pk/.test(String(e))) {
        throw modelExists(name);
      }
      throw e;
    });
  }

  async getRegisteredModel(name: string): Promise<RegisteredModel> {
    validateModelName(name);
    return await this.#db.read((r) => readFull(r, name));
  }

  async renameRegisteredModel(name: string, newName: string): Promise<RegisteredModel> {
    validateModelName(name);
    validateModelName(newName, "new_name");
    const now = this.#clock();
    return await this.#db.write(async (w) => {
      await readModel(w, name, true);
      if (newName !== name && await findModel(w, newName)) throw modelExists(newName);
      // Children follow through MLflow's ON UPDATE CASCADE foreign keys.
      await w.run(
        `UPDATE registered_models SET name = ?, last_updated_time = ? ${SCOPE.MODEL}`,
        newName,
        now,
        WORKSPACE,
        name,
      );
      await w.run(
        `UPDATE model_versions SET last_updated_time = ? ${SCOPE.MODEL}`,
        now,
        WORKSPACE,
        newName,
      );
      return readFull(w, newName);
    });
  }

  async updateRegisteredModel(name: string, description?: string): Promise<RegisteredModel> {
    validateModelName(name);
    const now = this.#clock();
    return await this.#db.write(async (w) => {
      const n = await w.run(
        `UPDATE registered_models SET description = ?, last_updated_time = ? ${SCOPE.MODEL}`,
        description ?? null,
        now,
        WORKSPACE,
        name,
      );
      if (n === 0) throw modelNotFound(name);
      return readFull(w, name);
    });
  }

  async deleteRegisteredModel(name: string): Promise<void> {
    validateModelName(name);
    await this.#db.write(async (w) => {
      await readModel(w, name, true);
      await deleteModelRows(w, name);
    });
  }

  async searchRegisteredModels(req: RegistrySearchRequest): Promise<Page<RegisteredModel>> {
    const filter = parseRegisteredModelFilter(req.filter);
    const order = parseRegisteredModelOrderBy(req.orderBy);
    const max = modelsPerPage(req.maxResults);
    return await this.#db.read((r) =>
      searchPage(
        r,
        max,
        req.pageToken,
        (limit, offset) => compileModelSearch(filter, order, limit, offset, POSTGRES),
        async (rows) => {
          const models = await withExtras(r, rows.map(modelFromRow));
          const latest = await readLatest(r, models.map((m) => m.name), true);
          return models.map((m) => ({ ...m, latestVersions: latest.get(m.name)! }));
        },
      )
    );
  }

  async getLatestVersions(name: string, stages?: string[]): Promise<ModelVersion[]> {
    validateModelName(name);
    const wanted = requestedStages(stages);
    return await this.#db.read(async (r) => {
      await readModel(r, name);
      const latest = (await readLatest(r, [name], false)).get(name)!
        .filter((v) => wanted.has(v.currentStage));
      const out: ModelVersion[] = [];
      for (const v of latest) out.push(await readVersion(r, name, v.version));
      return out;
    });
  }

  async setRegisteredModelTag(name: string, tag: Tag): Promise<void> {
    validateModelName(name);
    const t = validateRegistryTag(tag);
    await this.#db.write(async (w) => {
      await readModel(w, name);
      await setModelTag(w, name, t);
    });
  }

  async deleteRegisteredModelTag(name: string, key: string): Promise<void> {
    validateModelName(name);
    validateRegistryTagKey(key);
    await this.#db.write(async (w) => {
      await readModel(w, name);
      await w.run(
        `DELETE FROM registered_model_tags ${SCOPE.MODEL} AND key = ?`,
        WORKSPACE,
        name,
        key,
      );
    });
  }

  async createModelVersion(req: CreateModelVersionRequest): Promise<ModelVersion> {
    const name = validateModelName(req.name);
    const tags = validateRegistryTags(req.tags);
    const storage = await storageLocation(this, req);
    const now = this.#clock();
    return await this.#db.write(async (w) => {
      await readModel(w, name, true); // the lock that numbers versions consecutively
      // MLflow's tables keep no model_id: the version reads back without one, as in MLflow.
      return readVersion(w, name, await insertVersion(w, req, tags, storage, now));
    });
  }

  async getModelVersion(name: string, version: string | number): Promise<ModelVersion> {
    validateModelName(name);
    const n = parseVersion(version);
    return await this.#db.read((r) => readVersion(r, name, n));
  }

  async updateModelVersion(name: string, version: string | number, description?: string) {
    validateModelName(name);
    const n = parseVersion(version);
    const now = this.#clock();
    return await this.#db.write(async (w) => {
      await readVersion(w, name, n, false);
      await w.run(
        `UPDATE model_versions SET description = ?, last_updated_time = ? ${SCOPE.VERSION}`,
        description ?? null,
        now,
        WORKSPACE,
        name,
        n,
      );
      return readVersion(w, name, n);
    });
  }

  async transitionModelVersionStage(
    name: string,
    version: string | number,
    stage: string,
    archiveExistingVersions: boolean,
  ): Promise<ModelVersion> {
    const target = transitionStage(stage, archiveExistingVersions);
    validateModelName(name);
    const n = parseVersion(version);
    const now = this.#clock();
    return await this.#db.write(async (w) => {
      await readModel(w, name, true);
      await readVersion(w, name, n, false);
      await stageVersion(w, name, n, target, archiveExistingVersions, now);
      return readVersion(w, name, n);
    });
  }

  async deleteModelVersion(name: string, version: string | number): Promise<void> {
    validateModelName(name);
    const n = parseVersion(version);
    const now = this.#clock();
    await this.#db.write(async (w) => {
      await readVersion(w, name, n, false);
      await tombstoneVersion(w, name, n, now);
    });
  }

  async getModelVersionDownloadUri(name: string, version: string | number): Promise<string> {
    validateModelName(name);
    const n = parseVersion(version);
    return await this.#db.read(async (r) => {
      const row = await r.one<{ source: string | null; storage_location: string | null }>(
        `SELECT source, storage_location FROM model_versions ${SCOPE.VERSION} ` +
          "AND current_stage != ?",
        WORKSPACE,
        name,
        n,
        DELETED_STAGE,
      );
      if (!row) throw versionNotFound(name, n);
      return row.storage_location || row.source || "";
    });
  }

  async searchModelVersions(req: RegistrySearchRequest): Promise<Page<ModelVersion>> {
    const filter = parseModelVersionFilter(req.filter);
    const order = parseModelVersionOrderBy(req.orderBy);
    const max = versionsPerPage(req.maxResults);
    return await this.#db.read((r) =>
      searchPage(
        r,
        max,
        req.pageToken,
        (limit, offset) => compileVersionSearch(filter, order, limit, offset, POSTGRES),
        (rows) => withTags(r, rows.map(versionFromRow)),
      )
    );
  }

  async setModelVersionTag(name: string, version: string | number, tag: Tag): Promise<void> {
    validateModelName(name);
    const n = parseVersion(version);
    const t = validateRegistryTag(tag);
    await this.#db.write(async (w) => {
      await readVersion(w, name, n, false);
      await setVersionTag(w, name, n, t);
    });
  }

  async deleteModelVersionTag(name: string, version: string | number, key: string) {
    validateModelName(name);
    const n = parseVersion(version);
    validateRegistryTagKey(key);
    await this.#db.write(async (w) => {
      await readVersion(w, name, n, false);
      await w.run(
        `DELETE FROM model_version_tags ${SCOPE.VERSION} AND key = ?`,
        WORKSPACE,
        name,
        n,
        key,
      );
    });
  }

  async setRegisteredModelAlias(name: string, alias: string, version: string | number) {
    validateModelName(name);
    validateAliasNotReserved(validateAlias(alias));
    const n = parseVersion(version);
    await this.#db.write(async (w) => {
      await readVersion(w, name, n, false);
      await setAlias(w, name, alias, n);
    });
  }

  async deleteRegisteredModelAlias(name: string, alias: string): Promise<void> {
    validateModelName(name);
    validateAlias(alias);
    await this.#db.write(async (w) => {
      await readModel(w, name);
      await w.run(
        `DELETE FROM registered_model_aliases ${SCOPE.MODEL} AND alias = ?`,
        WORKSPACE,
        name,
        alias,
      );
    });
  }

  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    validateModelName(name);
    validateAlias(alias);
    if (alias.toLowerCase() === LATEST_ALIAS) return await latestVersion(this, name);
    return await this.#db.read(async (r) => {
      const a = (await readModel(r, name)).aliases.find((x) => x.alias === alias);
      if (!a) throw aliasNotFound(alias);
      return readVersion(r, name, a.version);
    });
  }

  close(): Promise<void> {
    return this.#own ? this.#db.close() : Promise.resolve();
  }
}
