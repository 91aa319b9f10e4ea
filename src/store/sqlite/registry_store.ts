/**
 * The SQLite store's model registry over MLflow's registry tables (registry_sql.ts), on the
 * tracking store's connections or its own. Each write is one BEGIN IMMEDIATE transaction, so
 * concurrent `create_model_version` calls (from any process) get consecutive numbers. Ops passed
 * to `write` may run more than once (group_commit.ts): they only touch the database.
 */
import { resolve } from "node:path";
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
import { Connections, sqlitePath, type Statements } from "./connection.ts";
import type { Query } from "./sql.ts";
import { compileModelSearch, compileVersionSearch, WORKSPACE } from "./registry_sql.ts";
import { modelFromRow, versionFromRow } from "./registry_rows.ts";
import {
  findModel,
  readFull,
  readLatest,
  readModel,
  readVersion,
  withExtras,
  withTags,
} from "./registry_reads.ts";
import {
  deleteAlias,
  deleteModelRows,
  deleteTag,
  describeModel,
  describeVersion,
  insertModel,
  insertVersion,
  renameModel,
  setAlias,
  setModelTag,
  setVersionTag,
  stageVersion,
  tombstoneVersion,
} from "./registry_writes.ts";

/** Options of the SQLite registry. */
export interface SqliteRegistryOptions extends StoreOptions {
  busyTimeoutMs?: number;
  cwd?: string;
}

/**
 * One page of a search, as MLflow's SQL store pages: `compile` builds the query for one row more
 * than `max` from the token's offset; that row means another page. `finish` makes the items.
 */
function searchPage<T>(
  r: Statements,
  max: number,
  token: string | undefined,
  compile: (limit: number, offset: number) => Query,
  finish: (rows: unknown[][]) => T[],
): Page<T> {
  const offset = decodePageToken(token);
  const q = compile(max + 1, offset);
  const rows = r.arrays(q.sql, ...q.params);
  const items = finish(rows.slice(0, max));
  return rows.length > max ? { items, nextPageToken: encodePageToken(offset + max) } : { items };
}

/** MLflow's model registry in an SQLite database. */
export class SqliteRegistryStore implements ModelRegistryStore {
  readonly uri: string;
  #db: Connections;
  #own: boolean;
  #clock: Clock;

  /** Opens `uri`, or shares the connections of the tracking store on the same database. */
  constructor(uri: string, opts: SqliteRegistryOptions = {}, shared?: Connections) {
    this.uri = uri;
    this.#clock = opts.clock ?? systemClock;
    this.#own = shared === undefined;
    const raw = sqlitePath(uri);
    this.#db = shared ??
      new Connections(raw === ":memory:" ? raw : resolve(opts.cwd ?? Deno.cwd(), raw), {
        uri,
        busyTimeoutMs: opts.busyTimeoutMs ?? 20000,
        warn: opts.warn ?? console.warn,
        now: this.#clock,
        // Only reached on a new database; the tracking store's default, as MLflow's.
        defaultLocation: () => resolve(opts.cwd ?? Deno.cwd(), "mlruns", "0"),
      });
  }

  #read<T>(fn: (r: Statements) => T): Promise<T> {
    try {
      return Promise.resolve(this.#db.read(fn));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  async createRegisteredModel(name: string, tags: Tag[] = [], description?: string) {
    validateModelName(name);
    const checked = validateRegistryTags(tags);
    const now = this.#clock();
    return await this.#db.write((w): RegisteredModel => {
      const old = findModel(w, name);
      if (old) throw modelExists(name, isPromptTags(old.tags), isPromptTags(checked));
      insertModel(w, name, now, description, checked);
      return {
        name,
        creationTimestamp: now,
        lastUpdatedTimestamp: now,
        description,
        latestVersions: [],
        tags: checked,
        aliases: [],
      };
    });
  }

  getRegisteredModel(name: string): Promise<RegisteredModel> {
    return this.#read((r) => readFull(r, validateModelName(name)));
  }

  async renameRegisteredModel(name: string, newName: string): Promise<RegisteredModel> {
    validateModelName(name);
    validateModelName(newName, "new_name");
    const now = this.#clock();
    return await this.#db.write((w) => {
      readModel(w, name);
      if (newName !== name && findModel(w, newName)) throw modelExists(newName);
      renameModel(w, name, newName, now);
      return readFull(w, newName);
    });
  }

  async updateRegisteredModel(name: string, description?: string): Promise<RegisteredModel> {
    validateModelName(name);
    const now = this.#clock();
    return await this.#db.write((w) => {
      if (describeModel(w, name, description, now) === 0) throw modelNotFound(name);
      return readFull(w, name);
    });
  }

  async deleteRegisteredModel(name: string): Promise<void> {
    validateModelName(name);
    await this.#db.write((w) => {
      readModel(w, name);
      deleteModelRows(w, name);
    });
  }

  searchRegisteredModels(req: RegistrySearchRequest): Promise<Page<RegisteredModel>> {
    return this.#read((r) => {
      const filter = parseRegisteredModelFilter(req.filter);
      const order = parseRegisteredModelOrderBy(req.orderBy);
      const compile = (limit: number, offset: number) =>
        compileModelSearch(filter, order, limit, offset);
      return searchPage(r, modelsPerPage(req.maxResults), req.pageToken, compile, (rows) => {
        const models = withExtras(r, rows.map(modelFromRow));
        const latest = readLatest(r, models.map((m) => m.name), true);
        return models.map((m) => ({ ...m, latestVersions: latest.get(m.name)! }));
      });
    });
  }

  getLatestVersions(name: string, stages?: string[]): Promise<ModelVersion[]> {
    return this.#read((r) => {
      readModel(r, validateModelName(name));
      const wanted = requestedStages(stages);
      return readLatest(r, [name], false).get(name)!
        .filter((v) => wanted.has(v.currentStage))
        .map((v) => readVersion(r, name, v.version));
    });
  }

  async setRegisteredModelTag(name: string, tag: Tag): Promise<void> {
    validateModelName(name);
    const t = validateRegistryTag(tag);
    await this.#db.write((w) => {
      readModel(w, name);
      setModelTag(w, name, t);
    });
  }

  async deleteRegisteredModelTag(name: string, key: string): Promise<void> {
    validateModelName(name);
    validateRegistryTagKey(key);
    await this.#db.write((w) => {
      readModel(w, name);
      deleteTag(w, name, undefined, key);
    });
  }

  async createModelVersion(req: CreateModelVersionRequest): Promise<ModelVersion> {
    const name = validateModelName(req.name);
    const tags = validateRegistryTags(req.tags);
    const storage = await storageLocation(this, req);
    const now = this.#clock();
    return await this.#db.write((w) => {
      readModel(w, name);
      // MLflow's tables keep no model_id: the version reads back without one, as in MLflow.
      return readVersion(w, name, insertVersion(w, req, tags, storage, now));
    });
  }

  getModelVersion(name: string, version: string | number): Promise<ModelVersion> {
    return this.#read((r) => readVersion(r, validateModelName(name), parseVersion(version)));
  }

  async updateModelVersion(name: string, version: string | number, description?: string) {
    validateModelName(name);
    const n = parseVersion(version);
    const now = this.#clock();
    return await this.#db.write((w) => {
      readVersion(w, name, n, false);
      describeVersion(w, name, n, description, now);
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
    return await this.#db.write((w) => {
      readVersion(w, name, n, false);
      stageVersion(w, name, n, target, archiveExistingVersions, now);
      return readVersion(w, name, n);
    });
  }

  async deleteModelVersion(name: string, version: string | number): Promise<void> {
    validateModelName(name);
    const n = parseVersion(version);
    const now = this.#clock();
    await this.#db.write((w) => {
      readVersion(w, name, n, false);
      tombstoneVersion(w, name, n, now);
    });
  }

  getModelVersionDownloadUri(name: string, version: string | number): Promise<string> {
    return this.#read((r) => {
      const n = parseVersion(version);
      const row = r.one<{ source: string | null; storage_location: string | null }>(
        "SELECT source, storage_location FROM model_versions WHERE workspace = ? AND name = ? " +
          "AND version = ? AND current_stage != ?",
        WORKSPACE,
        validateModelName(name),
        n,
        DELETED_STAGE,
      );
      if (!row) throw versionNotFound(name, n);
      return row.storage_location || row.source || "";
    });
  }

  searchModelVersions(req: RegistrySearchRequest): Promise<Page<ModelVersion>> {
    return this.#read((r) => {
      const filter = parseModelVersionFilter(req.filter);
      const order = parseModelVersionOrderBy(req.orderBy);
      const compile = (limit: number, offset: number) =>
        compileVersionSearch(filter, order, limit, offset);
      return searchPage(
        r,
        versionsPerPage(req.maxResults),
        req.pageToken,
        compile,
        (rows) => withTags(r, rows.map(versionFromRow)),
      );
    });
  }

  async setModelVersionTag(name: string, version: string | number, tag: Tag): Promise<void> {
    validateModelName(name);
    const n = parseVersion(version);
    const t = validateRegistryTag(tag);
    await this.#db.write((w) => {
      readVersion(w, name, n, false);
      setVersionTag(w, name, n, t);
    });
  }

  async deleteModelVersionTag(name: string, version: string | number, key: string) {
    validateModelName(name);
    const n = parseVersion(version);
    validateRegistryTagKey(key);
    await this.#db.write((w) => {
      readVersion(w, name, n, false);
      deleteTag(w, name, n, key);
    });
  }

  async setRegisteredModelAlias(name: string, alias: string, version: string | number) {
    validateModelName(name);
    validateAliasNotReserved(validateAlias(alias));
    const n = parseVersion(version);
    await this.#db.write((w) => {
      readVersion(w, name, n, false);
      setAlias(w, name, alias, n);
    });
  }

  async deleteRegisteredModelAlias(name: string, alias: string): Promise<void> {
    validateModelName(name);
    validateAlias(alias);
    await this.#db.write((w) => {
      readModel(w, name);
      deleteAlias(w, name, alias);
    });
  }

  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    validateModelName(name);
    validateAlias(alias);
    if (alias.toLowerCase() === LATEST_ALIAS) return await latestVersion(this, name);
    return await this.#read((r) => {
      const a = readModel(r, name).aliases.find((x) => x.alias === alias);
      if (!a) throw aliasNotFound(alias);
      return readVersion(r, name, a.version);
    });
  }

  close(): Promise<void> {
    if (this.#own) this.#db.close();
    return Promise.resolve();
  }
}
