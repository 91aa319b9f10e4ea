/**
 * The file store's model registry: MLflow's registry FileStore layout under `<root>/models/`
 * (registry_reader.ts), meta.yaml written byte for byte as MLflow does (registry_format.ts).
 * Every write holds the root's cross-process lock, so concurrent `create_model_version` calls get
 * consecutive numbers; files are replaced through a temp file and a rename. Timestamps move as in
 * MLflow's SQL store (tags and aliases leave a model's last_updated_timestamp alone).
 */
import { join, resolve } from "node:path";
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
import {
  parseVersion,
  validateAlias,
  validateAliasNotReserved,
  validateModelName,
  validateModelNameAsPath,
  validateRegistryTag,
  validateRegistryTagKey,
  validateRegistryTags,
} from "../../registry_validate.ts";
import { isPromptTagged, latestPerStage } from "../../search/registry_match.ts";
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
  requestedStages,
  storageLocation,
  transitionStage,
  versionNotFound,
} from "../registry_rules.ts";
import type { StoreOptions } from "../store.ts";
import { fileUriFromPath, LOCK_FILE, metaPath } from "./layout.ts";
import { isDir, settle, sig, tryRemove, withLock, writeAtomic } from "./file_io.ts";
import { modelVersionYaml, registeredModelYaml } from "./registry_format.ts";
import { searchModels, searchVersions } from "./registry_search.ts";
import {
  modelDir,
  modelsDir,
  RegistryReader,
  type StoredModel,
  type StoredVersion,
  versionDir,
} from "./registry_reader.ts";

/** MLflow's model registry in a file store root (the tracking store's `mlruns`). */
export class FileRegistryStore implements ModelRegistryStore {
  readonly uri: string;
  readonly root: string;
  #clock: Clock;
  #reader: RegistryReader;

  constructor(rootPath: string, opts: StoreOptions = {}) {
    this.root = resolve(rootPath);
    this.uri = fileUriFromPath(this.root);
    this.#clock = opts.clock ?? systemClock;
    this.#reader = new RegistryReader(this.root, opts.warn ?? console.warn);
  }

  #dir(name: unknown): string {
    return modelDir(this.root, validateModelNameAsPath(validateModelName(name)));
  }

  #model(name: unknown): StoredModel {
    const dir = this.#dir(name);
    const m = this.#reader.model(dir);
    if (!m) throw modelNotFound(String(name));
    return m;
  }

  // A live version with its model; RESOURCE_DOES_NOT_EXIST for unknown and deleted ones.
  #live(name: unknown, version: unknown): { m: StoredModel; v: StoredVersion } {
    const m = this.#model(name);
    const n = parseVersion(version);
    const v = this.#reader.version(versionDir(m.dir, n), m.model.aliases);
    if (!v || v.version.currentStage === DELETED_STAGE) throw versionNotFound(m.model.name, n);
    return { m, v };
  }

  #versions(m: StoredModel): ModelVersion[] {
    return this.#reader.versions(m.dir, m.model.aliases).map((v) => v.version);
  }

  #full(m: StoredModel, byStage = false): RegisteredModel {
    // MLflow's SQL store leaves a model's latest versions without their aliases.
    const latest = latestPerStage(this.#versions(m), byStage).map((v) => ({ ...v, aliases: [] }));
    return { ...m.model, latestVersions: latest };
  }

  // Runs a write under the root's lock (created on first use).
  async #write<T>(fn: () => T): Promise<T> {
    Deno.mkdirSync(modelsDir(this.root), { recursive: true });
    return await withLock(join(this.root, LOCK_FILE), fn);
  }

  #saveModel(m: StoredModel, changes: Partial<RegisteredModel> = {}): void {
    const fresh = this.#reader.model(m.dir) ?? m;
    const model = { ...fresh.model, ...changes };
    writeAtomic(metaPath(m.dir), registeredModelYaml(model, fresh.meta), m.dir, true);
  }

  #saveVersion(v: StoredVersion, changes: Partial<ModelVersion>, storage = v.storageLocation) {
    const text = modelVersionYaml({ ...v.version, ...changes }, storage, v.meta);
    writeAtomic(metaPath(v.dir), text, v.dir, true);
  }

  // A folder without meta.yaml is the remains of an interrupted delete: it goes. One whose
  // meta.yaml cannot be read is left alone, and its name stays taken.
  #clearRemains(dir: string, name: string): void {
    if (!isDir(dir)) return;
    if (sig(metaPath(dir)) !== undefined) throw modelExists(name);
    Deno.removeSync(dir, { recursive: true });
  }

  #writeTags(dir: string, tags: Tag[]): void {
    for (const t of tags) writeAtomic(join(dir, "tags", ...t.key.split("/")), t.value, dir);
  }

  async createRegisteredModel(
    name: string,
    tags: Tag[] = [],
    description?: string,
  ): Promise<RegisteredModel> {
    const dir = this.#dir(name);
    const checked = validateRegistryTags(tags);
    return await this.#write(() => {
      const existing = this.#reader.model(dir);
      if (existing) {
        throw modelExists(name, isPromptTagged(existing.model.tags), isPromptTags(checked));
      }
      this.#clearRemains(dir, name);
      Deno.mkdirSync(dir, { recursive: true });
      const now = this.#clock();
      const model: RegisteredModel = {
        name,
        creationTimestamp: now,
        lastUpdatedTimestamp: now,
        description,
        latestVersions: [],
        tags: checked,
        aliases: [],
      };
      writeAtomic(metaPath(dir), registeredModelYaml(model), dir, true);
      this.#writeTags(dir, checked);
      return model;
    });
  }

  getRegisteredModel(name: string): Promise<RegisteredModel> {
    return settle(() => this.#full(this.#model(name)));
  }

  async renameRegisteredModel(name: string, newName: string): Promise<RegisteredModel> {
    validateModelName(newName, "new_name");
    const target = this.#dir(newName);
    return await this.#write(() => {
      const m = this.#model(name);
      const now = this.#clock();
      if (target !== m.dir) {
        if (this.#reader.model(target)) throw modelExists(newName);
        this.#clearRemains(target, newName);
        Deno.renameSync(m.dir, target);
      }
      const moved = this.#reader.model(target)!;
      for (const v of this.#reader.versions(target, moved.model.aliases)) {
        this.#saveVersion(v, { name: newName, lastUpdatedTimestamp: now });
      }
      this.#saveModel(moved, { name: newName, lastUpdatedTimestamp: now });
      return this.#full(this.#reader.model(target)!);
    });
  }

  async updateRegisteredModel(name: string, description?: string): Promise<RegisteredModel> {
    return await this.#write(() => {
      const m = this.#model(name);
      this.#saveModel(m, { description, lastUpdatedTimestamp: this.#clock() });
      return this.#full(this.#reader.model(m.dir)!);
    });
  }

  async deleteRegisteredModel(name: string): Promise<void> {
    await this.#write(() => {
      const m = this.#model(name);
      // meta.yaml first: an interrupted delete leaves a folder that reads as no model at all.
      tryRemove(metaPath(m.dir));
      Deno.removeSync(m.dir, { recursive: true });
    });
  }

  searchRegisteredModels(req: RegistrySearchRequest): Promise<Page<RegisteredModel>> {
    return settle(() => searchModels(this.#reader, req, (m) => this.#full(m, true)));
  }

  getLatestVersions(name: string, stages?: string[]): Promise<ModelVersion[]> {
    return settle(() => {
      const m = this.#model(name);
      const wanted = requestedStages(stages);
      return latestPerStage(this.#versions(m)).filter((v) => wanted.has(v.currentStage));
    });
  }

  async setRegisteredModelTag(name: string, tag: Tag): Promise<void> {
    const t = validateRegistryTag(tag);
    await this.#write(() => this.#writeTags(this.#model(name).dir, [t]));
  }

  async deleteRegisteredModelTag(name: string, key: string): Promise<void> {
    validateRegistryTagKey(key);
    await this.#write(() => tryRemove(join(this.#model(name).dir, "tags", ...key.split("/"))));
  }

  async createModelVersion(req: CreateModelVersionRequest): Promise<ModelVersion> {
    const dir = this.#dir(req.name);
    const tags = validateRegistryTags(req.tags);
    const storage = await storageLocation(this, req);
    return await this.#write(() => {
      const m = this.#model(req.name);
      const now = this.#clock();
      let n = Math.max(0, ...this.#reader.versionNumbers(m.dir)) + 1;
      // A folder another writer (MLflow itself takes no lock) made first: take the next number.
      for (;; n++) {
        try {
          Deno.mkdirSync(versionDir(dir, n));
          break;
        } catch (e) {
          if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
        }
      }
      const version: ModelVersion = {
        name: m.model.name,
        version: n,
        creationTimestamp: now,
        lastUpdatedTimestamp: now,
        description: req.description,
        currentStage: "None",
        source: req.source,
        runId: req.runId,
        status: READY,
        tags,
        runLink: req.runLink,
        aliases: [],
        modelId: req.modelId,
      };
      const vdir = versionDir(dir, n);
      writeAtomic(metaPath(vdir), modelVersionYaml(version, storage), vdir, true);
      this.#writeTags(vdir, tags);
      this.#saveModel(m, { lastUpdatedTimestamp: now });
      return version;
    });
  }

  getModelVersion(name: string, version: string | number): Promise<ModelVersion> {
    return settle(() => this.#live(name, version).v.version);
  }

  async updateModelVersion(
    name: string,
    version: string | number,
    description?: string,
  ): Promise<ModelVersion> {
    return await this.#write(() => {
      const { v } = this.#live(name, version);
      const changes = { description, lastUpdatedTimestamp: this.#clock() };
      this.#saveVersion(v, changes);
      return { ...v.version, ...changes };
    });
  }

  async transitionModelVersionStage(
    name: string,
    version: string | number,
    stage: string,
    archiveExistingVersions: boolean,
  ): Promise<ModelVersion> {
    const target = transitionStage(stage, archiveExistingVersions);
    return await this.#write(() => {
      const { m, v } = this.#live(name, version);
      const now = this.#clock();
      if (archiveExistingVersions) {
        for (const other of this.#reader.versions(m.dir, m.model.aliases)) {
          if (other.version.version === v.version.version) continue;
          if (other.version.currentStage !== target) continue;
          this.#saveVersion(other, { currentStage: "Archived", lastUpdatedTimestamp: now });
        }
      }
      const changes = { currentStage: target, lastUpdatedTimestamp: now };
      this.#saveVersion(v, changes);
      this.#saveModel(m, { lastUpdatedTimestamp: now });
      return { ...v.version, ...changes };
    });
  }

  async deleteModelVersion(name: string, version: string | number): Promise<void> {
    await this.#write(() => {
      const { m, v } = this.#live(name, version);
      const now = this.#clock();
      // Redacted as MLflow's SQL store does; the tombstone keeps the number from being reused.
      this.#saveVersion(v, {
        currentStage: DELETED_STAGE,
        lastUpdatedTimestamp: now,
        description: undefined,
        userId: undefined,
        source: "REDACTED-SOURCE-PATH",
        runId: "REDACTED-RUN-ID",
        runLink: "REDACTED-RUN-LINK",
        statusMessage: undefined,
      });
      for (const alias of v.version.aliases) tryRemove(join(m.dir, "aliases", alias));
      this.#saveModel(m, { lastUpdatedTimestamp: now });
    });
  }

  getModelVersionDownloadUri(name: string, version: string | number): Promise<string> {
    return settle(() => {
      const { v } = this.#live(name, version);
      return v.storageLocation || v.version.source || "";
    });
  }

  searchModelVersions(req: RegistrySearchRequest): Promise<Page<ModelVersion>> {
    return settle(() => searchVersions(this.#reader, req));
  }

  async setModelVersionTag(name: string, version: string | number, tag: Tag): Promise<void> {
    const t = validateRegistryTag(tag);
    await this.#write(() => this.#writeTags(this.#live(name, version).v.dir, [t]));
  }

  async deleteModelVersionTag(name: string, version: string | number, key: string) {
    validateRegistryTagKey(key);
    await this.#write(() => {
      tryRemove(join(this.#live(name, version).v.dir, "tags", ...key.split("/")));
    });
  }

  async setRegisteredModelAlias(name: string, alias: string, version: string | number) {
    validateModelName(name);
    validateAliasNotReserved(validateAlias(alias));
    await this.#write(() => {
      const { m, v } = this.#live(name, version);
      writeAtomic(join(m.dir, "aliases", alias), String(v.version.version), m.dir);
      this.#saveModel(m);
    });
  }

  async deleteRegisteredModelAlias(name: string, alias: string): Promise<void> {
    validateModelName(name);
    validateAlias(alias);
    await this.#write(() => {
      const m = this.#model(name);
      tryRemove(join(m.dir, "aliases", alias));
      this.#saveModel(m);
    });
  }

  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    validateModelName(name);
    validateAlias(alias);
    if (alias.toLowerCase() === LATEST_ALIAS) return await latestVersion(this, name);
    const m = this.#model(name);
    const a = m.model.aliases.find((x) => x.alias === alias);
    if (!a) throw aliasNotFound(alias);
    return this.#live(name, a.version).v.version;
  }

  close(): Promise<void> {
    return Promise.resolve(); // nothing is held open between calls
  }
}
