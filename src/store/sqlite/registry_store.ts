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
  READY,
  type RegisteredModel,
} from "../../registry_model.ts";
import { isModelsUri, parseModelUri } from "../../registry_uri.ts";
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
  latestNotFound,
  modelExists,
  modelNotFound,
  modelsPerPage,
  requestedStages,
  transitionStage,
  versionNotFound,
  versionsPerPage,
} from "../registry_rules.ts";
import type { StoreOptions } from "../store.ts";
import { Connections, sqlitePath, type Statements } from "./connection.ts";
import {
  compileModelSearch,
  compileVersionSearch,
  latestVersionsSql,
  MODEL_COLUMNS,
  modelExtrasSql,
  STAGES_BY_FIRST_VERSION,
  VERSION_COLUMNS,
  versionTagsSql,
  WORKSPACE,
} from "./registry_sql.ts";
import {
  attachModelExtras,
  attachVersionTags,
  modelFromRow,
  versionFromRow,
} from "./registry_rows.ts";

const MODEL_BY_NAME = `SELECT ${MODEL_COLUMNS} FROM registered_models rm ` +
  "WHERE rm.workspace = ? AND rm.name = ?";
const VERSION_BY_NUMBER = `SELECT ${VERSION_COLUMNS} FROM model_versions mv ` +
  "WHERE mv.workspace = ? AND mv.name = ? AND mv.version = ? AND mv.current_stage != ?";
const ALIASES_OF_VERSION = "SELECT alias FROM registered_model_aliases WHERE workspace = ? " +
  "AND name = ? AND version = ? ORDER BY alias";

/** Options of the SQLite registry. */
export interface SqliteRegistryOptions extends StoreOptions {
  busyTimeoutMs?: number;
  cwd?: string;
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

  #model(s: Statements, name: string): RegisteredModel {
    const [row] = s.arrays(MODEL_BY_NAME, WORKSPACE, name);
    if (!row) throw modelNotFound(name);
    return this.#extras(s, [modelFromRow(row)])[0];
  }

  // Reads the tags and aliases of `models` (one query each).
  #extras(s: Statements, models: RegisteredModel[]): RegisteredModel[] {
    if (models.length === 0) return models;
    const q = modelExtrasSql(models.map((m) => m.name));
    attachModelExtras(
      models,
      s.arrays(q.tags.sql, ...q.tags.params),
      s.arrays(q.aliases.sql, ...q.aliases.params),
    );
    return models;
  }

  // Reads the tags of `versions` (one query).
  #tags(s: Statements, versions: ModelVersion[]): ModelVersion[] {
    if (versions.length === 0) return versions;
    const q = versionTagsSql(versions.map((v) => [v.name, v.version]));
    attachVersionTags(versions, s.arrays(q.sql, ...q.params));
    return versions;
  }

  #version(s: Statements, name: string, version: number, aliases = true): ModelVersion {
    const [row] = s.arrays(VERSION_BY_NUMBER, WORKSPACE, name, version, DELETED_STAGE);
    if (!row) throw versionNotFound(name, version);
    const [v] = this.#tags(s, [versionFromRow(row)]);
    if (aliases) {
      v.aliases = s.all<{ alias: string }>(ALIASES_OF_VERSION, WORKSPACE, name, version)
        .map((a) => a.alias);
    }
    return v;
  }

  // The latest version per stage of each model: by stage name (search), or for one model in
  // the order its versions meet the stages (`registered-models/get`), as MLflow answers.
  #latest(s: Statements, names: string[], byStage: boolean): Map<string, ModelVersion[]> {
    const out = new Map<string, ModelVersion[]>(names.map((n) => [n, []]));
    if (names.length === 0) return out;
    const q = latestVersionsSql(names);
    const versions = this.#tags(s, s.arrays(q.sql, ...q.params).map(versionFromRow));
    for (const v of versions) out.get(v.name)?.push(v);
    if (!byStage) {
      for (const [name, versions] of out) {
        const order = s.arrays(STAGES_BY_FIRST_VERSION, WORKSPACE, name, DELETED_STAGE)
          .map((r) => r[0]);
        versions.sort((a, b) => order.indexOf(a.currentStage) - order.indexOf(b.currentStage));
      }
    }
    return out;
  }

  #full(s: Statements, name: string): RegisteredModel {
    const m = this.#model(s, name);
    return { ...m, latestVersions: this.#latest(s, [m.name], false).get(m.name)! };
  }

  async createRegisteredModel(
    name: string,
    tags: Tag[] = [],
    description?: string,
  ): Promise<RegisteredModel> {
    validateModelName(name);
    const checked = validateRegistryTags(tags);
    const now = this.#clock();
    return await this.#db.write((w) => {
      const [existing] = w.arrays(MODEL_BY_NAME, WORKSPACE, name);
      if (existing) {
        const old = this.#extras(w, [modelFromRow(existing)])[0];
        throw modelExists(name, isPromptTags(old.tags), isPromptTags(checked));
      }
      w.run(
        "INSERT INTO registered_models (name, creation_time, last_updated_time, description, " +
          "workspace) VALUES (?, ?, ?, ?, ?)",
        name,
        now,
        now,
        description ?? null,
        WORKSPACE,
      );
      for (const t of checked) {
        w.run(
          "INSERT INTO registered_model_tags (key, value, name, workspace) VALUES (?, ?, ?, ?)",
          t.key,
          t.value,
          name,
          WORKSPACE,
        );
      }
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
    return this.#read((r) => this.#full(r, validateModelName(name)));
  }

  async renameRegisteredModel(name: string, newName: string): Promise<RegisteredModel> {
    validateModelName(name);
    validateModelName(newName, "new_name");
    const now = this.#clock();
    return await this.#db.write((w) => {
      this.#model(w, name);
      if (newName !== name && w.arrays(MODEL_BY_NAME, WORKSPACE, newName).length) {
        throw modelExists(newName);
      }
      // Versions, their tags, model tags and aliases follow through ON UPDATE CASCADE.
      w.run(
        "UPDATE registered_models SET name = ?, last_updated_time = ? WHERE workspace = ? " +
          "AND name = ?",
        newName,
        now,
        WORKSPACE,
        name,
      );
      w.run(
        "UPDATE model_versions SET last_updated_time = ? WHERE workspace = ? AND name = ?",
        now,
        WORKSPACE,
        newName,
      );
      return this.#full(w, newName);
    });
  }

  async updateRegisteredModel(name: string, description?: string): Promise<RegisteredModel> {
    validateModelName(name);
    const now = this.#clock();
    return await this.#db.write((w) => {
      const n = w.run(
        "UPDATE registered_models SET description = ?, last_updated_time = ? " +
          "WHERE workspace = ? AND name = ?",
        description ?? null,
        now,
        WORKSPACE,
        name,
      );
      if (n === 0) throw modelNotFound(name);
      return this.#full(w, name);
    });
  }

  async deleteRegisteredModel(name: string): Promise<void> {
    validateModelName(name);
    await this.#db.write((w) => {
      this.#model(w, name);
      for (
        const table of [
          "model_version_tags",
          "model_versions",
          "registered_model_tags",
          "registered_model_aliases",
          "registered_models",
        ]
      ) w.run(`DELETE FROM ${table} WHERE workspace = ? AND name = ?`, WORKSPACE, name);
    });
  }

  searchRegisteredModels(req: RegistrySearchRequest): Promise<Page<RegisteredModel>> {
    return this.#read((r) => {
      const filter = parseRegisteredModelFilter(req.filter);
      const order = parseRegisteredModelOrderBy(req.orderBy);
      const max = modelsPerPage(req.maxResults);
      const offset = decodePageToken(req.pageToken);
      const q = compileModelSearch(filter, order, max + 1, offset);
      const rows = r.arrays(q.sql, ...q.params);
      const models = this.#extras(r, rows.slice(0, max).map(modelFromRow));
      const latest = this.#latest(r, models.map((m) => m.name), true);
      const items = models.map((m) => ({ ...m, latestVersions: latest.get(m.name)! }));
      return rows.length > max
        ? { items, nextPageToken: encodePageToken(offset + max) }
        : { items };
    });
  }

  getLatestVersions(name: string, stages?: string[]): Promise<ModelVersion[]> {
    return this.#read((r) => {
      validateModelName(name);
      this.#model(r, name);
      const wanted = requestedStages(stages);
      return this.#latest(r, [name], false).get(name)!
        .filter((v) => wanted.has(v.currentStage))
        .map((v) => this.#version(r, name, v.version));
    });
  }

  async setRegisteredModelTag(name: string, tag: Tag): Promise<void> {
    validateModelName(name);
    const t = validateRegistryTag(tag);
    await this.#db.write((w) => {
      this.#model(w, name);
      w.run(
        "INSERT INTO registered_model_tags (key, value, name, workspace) VALUES (?, ?, ?, ?) " +
          "ON CONFLICT (workspace, key, name) DO UPDATE SET value = excluded.value",
        t.key,
        t.value,
        name,
        WORKSPACE,
      );
    });
  }

  async deleteRegisteredModelTag(name: string, key: string): Promise<void> {
    validateModelName(name);
    validateRegistryTagKey(key);
    await this.#db.write((w) => {
      this.#model(w, name);
      w.run(
        "DELETE FROM registered_model_tags WHERE workspace = ? AND name = ? AND key = ?",
        WORKSPACE,
        name,
        key,
      );
    });
  }

  async createModelVersion(req: CreateModelVersionRequest): Promise<ModelVersion> {
    const name = validateModelName(req.name);
    const tags = validateRegistryTags(req.tags);
    let storage = req.storageLocation;
    if (storage === undefined && isModelsUri(req.source)) {
      const u = parseModelUri(req.source);
      if (u.name !== undefined && u.version !== undefined) {
        storage = await this.getModelVersionDownloadUri(u.name, u.version);
      }
    }
    const now = this.#clock();
    return await this.#db.write((w) => {
      this.#model(w, name);
      const max = w.one<{ v: number | null }>(
        "SELECT MAX(version) AS v FROM model_versions WHERE workspace = ? AND name = ?",
        WORKSPACE,
        name,
      )?.v ?? 0;
      const version = Number(max) + 1;
      w.run(
        "INSERT INTO model_versions (name, version, creation_time, last_updated_time, " +
          "description, user_id, current_stage, source, run_id, status, status_message, " +
          "run_link, storage_location, workspace) VALUES (?, ?, ?, ?, ?, NULL, 'None', ?, ?, ?, " +
          "NULL, ?, ?, ?)",
        name,
        version,
        now,
        now,
        req.description ?? null,
        req.source,
        req.runId ?? null,
        READY,
        req.runLink ?? null,
        storage ?? req.source,
        WORKSPACE,
      );
      for (const t of tags) {
        w.run(
          "INSERT INTO model_version_tags (key, value, name, version, workspace) " +
            "VALUES (?, ?, ?, ?, ?)",
          t.key,
          t.value,
          name,
          version,
          WORKSPACE,
        );
      }
      w.run(
        "UPDATE registered_models SET last_updated_time = ? WHERE workspace = ? AND name = ?",
        now,
        WORKSPACE,
        name,
      );
      // MLflow's tables keep no model_id: the version reads back without one, as in MLflow.
      return this.#version(w, name, version);
    });
  }

  getModelVersion(name: string, version: string | number): Promise<ModelVersion> {
    return this.#read((r) => this.#version(r, validateModelName(name), parseVersion(version)));
  }

  async updateModelVersion(
    name: string,
    version: string | number,
    description?: string,
  ): Promise<ModelVersion> {
    validateModelName(name);
    const n = parseVersion(version);
    const now = this.#clock();
    return await this.#db.write((w) => {
      this.#version(w, name, n, false);
      w.run(
        "UPDATE model_versions SET description = ?, last_updated_time = ? WHERE workspace = ? " +
          "AND name = ? AND version = ?",
        description ?? null,
        now,
        WORKSPACE,
        name,
        n,
      );
      return this.#version(w, name, n);
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
      this.#version(w, name, n, false);
      if (archiveExistingVersions) {
        w.run(
          "UPDATE model_versions SET current_stage = 'Archived', last_updated_time = ? " +
            "WHERE workspace = ? AND name = ? AND version != ? AND current_stage = ?",
          now,
          WORKSPACE,
          name,
          n,
          target,
        );
      }
      w.run(
        "UPDATE model_versions SET current_stage = ?, last_updated_time = ? WHERE workspace = ? " +
          "AND name = ? AND version = ?",
        target,
        now,
        WORKSPACE,
        name,
        n,
      );
      w.run(
        "UPDATE registered_models SET last_updated_time = ? WHERE workspace = ? AND name = ?",
        now,
        WORKSPACE,
        name,
      );
      return this.#version(w, name, n);
    });
  }

  async deleteModelVersion(name: string, version: string | number): Promise<void> {
    validateModelName(name);
    const n = parseVersion(version);
    const now = this.#clock();
    await this.#db.write((w) => {
      this.#version(w, name, n, false);
      w.run(
        "DELETE FROM registered_model_aliases WHERE workspace = ? AND name = ? AND version = ?",
        WORKSPACE,
        name,
        n,
      );
      // A redacted tombstone, as MLflow leaves it; its tags stay.
      w.run(
        "UPDATE model_versions SET current_stage = ?, last_updated_time = ?, description = NULL, " +
          "user_id = NULL, source = 'REDACTED-SOURCE-PATH', run_id = 'REDACTED-RUN-ID', " +
          "run_link = 'REDACTED-RUN-LINK', status_message = NULL WHERE workspace = ? AND name = ? " +
          "AND version = ?",
        DELETED_STAGE,
        now,
        WORKSPACE,
        name,
        n,
      );
      w.run(
        "UPDATE registered_models SET last_updated_time = ? WHERE workspace = ? AND name = ?",
        now,
        WORKSPACE,
        name,
      );
    });
  }

  getModelVersionDownloadUri(name: string, version: string | number): Promise<string> {
    return this.#read((r) => {
      const row = r.one<{ source: string | null; storage_location: string | null }>(
        "SELECT source, storage_location FROM model_versions WHERE workspace = ? AND name = ? " +
          "AND version = ? AND current_stage != ?",
        WORKSPACE,
        validateModelName(name),
        parseVersion(version),
        DELETED_STAGE,
      );
      if (!row) throw versionNotFound(name, parseVersion(version));
      return row.storage_location || row.source || "";
    });
  }

  searchModelVersions(req: RegistrySearchRequest): Promise<Page<ModelVersion>> {
    return this.#read((r) => {
      const filter = parseModelVersionFilter(req.filter);
      const order = parseModelVersionOrderBy(req.orderBy);
      const max = versionsPerPage(req.maxResults);
      const offset = decodePageToken(req.pageToken);
      const q = compileVersionSearch(filter, order, max + 1, offset);
      const rows = r.arrays(q.sql, ...q.params);
      const items = this.#tags(r, rows.slice(0, max).map(versionFromRow));
      return rows.length > max
        ? { items, nextPageToken: encodePageToken(offset + max) }
        : { items };
    });
  }

  async setModelVersionTag(name: string, version: string | number, tag: Tag): Promise<void> {
    validateModelName(name);
    const n = parseVersion(version);
    const t = validateRegistryTag(tag);
    await this.#db.write((w) => {
      this.#version(w, name, n, false);
      w.run(
        "INSERT INTO model_version_tags (key, value, name, version, workspace) VALUES " +
          "(?, ?, ?, ?, ?) ON CONFLICT (workspace, key, name, version) DO UPDATE SET " +
          "value = excluded.value",
        t.key,
        t.value,
        name,
        n,
        WORKSPACE,
      );
    });
  }

  async deleteModelVersionTag(name: string, version: string | number, key: string) {
    validateModelName(name);
    const n = parseVersion(version);
    validateRegistryTagKey(key);
    await this.#db.write((w) => {
      this.#version(w, name, n, false);
      w.run(
        "DELETE FROM model_version_tags WHERE workspace = ? AND name = ? AND version = ? " +
          "AND key = ?",
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
    await this.#db.write((w) => {
      this.#version(w, name, n, false);
      w.run(
        "INSERT INTO registered_model_aliases (alias, version, name, workspace) VALUES " +
          "(?, ?, ?, ?) ON CONFLICT (workspace, name, alias) DO UPDATE SET version = " +
          "excluded.version",
        alias,
        n,
        name,
        WORKSPACE,
      );
    });
  }

  async deleteRegisteredModelAlias(name: string, alias: string): Promise<void> {
    validateModelName(name);
    validateAlias(alias);
    await this.#db.write((w) => {
      this.#model(w, name);
      w.run(
        "DELETE FROM registered_model_aliases WHERE workspace = ? AND name = ? AND alias = ?",
        WORKSPACE,
        name,
        alias,
      );
    });
  }

  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    validateModelName(name);
    validateAlias(alias);
    if (alias.toLowerCase() === LATEST_ALIAS) {
      const latest = await this.getLatestVersions(name);
      if (latest.length === 0) throw latestNotFound(name);
      return latest.reduce((a, b) => (b.version > a.version ? b : a));
    }
    return await this.#read((r) => {
      this.#model(r, name);
      const a = r.one<{ version: number }>(
        "SELECT version FROM registered_model_aliases WHERE workspace = ? AND name = ? " +
          "AND alias = ?",
        WORKSPACE,
        name,
        alias,
      );
      if (!a) throw aliasNotFound(alias);
      return this.#version(r, name, Number(a.version));
    });
  }

  close(): Promise<void> {
    if (this.#own) this.#db.close();
    return Promise.resolve();
  }
}
