/**
 * The ModelRegistryStore interface: MLflow's model registry over one store, implemented beside
 * each tracking store (file/, sqlite/, rest/). api/, cli/ and ui/ know only this interface;
 * open_registry.ts is the one place that imports an implementation.
 */
import type { Page, Tag } from "../model.ts";
import type { ModelVersion, RegisteredModel } from "../registry_model.ts";

/** A registry search; `maxResults` defaults to MLflow's (100 models, 200,000 versions). */
export interface RegistrySearchRequest {
  filter?: string;
  maxResults?: number;
  orderBy?: string[];
  pageToken?: string;
}

/** Fields of `model-versions/create`. */
export interface CreateModelVersionRequest {
  name: string;
  source: string;
  runId?: string;
  tags?: Tag[];
  runLink?: string;
  description?: string;
  modelId?: string;
  /**
   * Where the version's files are (what get-download-uri answers); the source by default. The
   * server sets it for `models:/m-…` sources; a `models:/<name>/<version>` source resolves here.
   */
  storageLocation?: string;
}

/** Most registered models one search page may hold (MLflow's threshold). */
export const MAX_MODELS_PER_PAGE = 1000;
/** Most model versions one search page may hold. */
export const MAX_VERSIONS_PER_PAGE = 200_000;
/** `max_results` of a registered model search that sets none. */
export const DEFAULT_MODELS_PER_PAGE = 100;
/** `max_results` of a model version search that sets none (the proto's default). */
export const DEFAULT_VERSIONS_PER_PAGE = 200_000;

/** MLflow's model registry operations. A version is its number or its decimal string. */
export interface ModelRegistryStore {
  /** The URI this store was opened from. */
  readonly uri: string;

  /** Creates a registered model; RESOURCE_ALREADY_EXISTS when the name is taken. */
  createRegisteredModel(name: string, tags?: Tag[], description?: string): Promise<RegisteredModel>;
  /** Gets a registered model with its tags, aliases and latest version per stage. */
  getRegisteredModel(name: string): Promise<RegisteredModel>;
  /** Renames a model and its versions; tags and aliases stay with it. */
  renameRegisteredModel(name: string, newName: string): Promise<RegisteredModel>;
  /** Sets (or, with undefined, clears) a model's description. */
  updateRegisteredModel(name: string, description?: string): Promise<RegisteredModel>;
  /** Removes a model with its versions, tags and aliases (nothing of the runs). */
  deleteRegisteredModel(name: string): Promise<void>;
  /** Searches registered models with MLflow's filter, order and paging. */
  searchRegisteredModels(req: RegistrySearchRequest): Promise<Page<RegisteredModel>>;
  /** The highest version in each of `stages` (all stages when none are given). */
  getLatestVersions(name: string, stages?: string[]): Promise<ModelVersion[]>;
  /** Sets (upserts) a registered model tag. */
  setRegisteredModelTag(name: string, tag: Tag): Promise<void>;
  /** Deletes a registered model tag; an absent key is no error (MLflow). */
  deleteRegisteredModelTag(name: string, key: string): Promise<void>;

  /** Creates the next version of a model (numbers are consecutive, never reused). */
  createModelVersion(req: CreateModelVersionRequest): Promise<ModelVersion>;
  /** Gets a live model version. */
  getModelVersion(name: string, version: string | number): Promise<ModelVersion>;
  /** Sets (or, with undefined, clears) a version's description. */
  updateModelVersion(
    name: string,
    version: string | number,
    description?: string,
  ): Promise<ModelVersion>;
  /** Moves a version to a stage; optionally archives the others in that stage. */
  transitionModelVersionStage(
    name: string,
    version: string | number,
    stage: string,
    archiveExistingVersions: boolean,
  ): Promise<ModelVersion>;
  /** Deletes a version: a redacted tombstone keeps its number; its aliases go. */
  deleteModelVersion(name: string, version: string | number): Promise<void>;
  /** Where a version's files are. */
  getModelVersionDownloadUri(name: string, version: string | number): Promise<string>;
  /** Searches live model versions with MLflow's filter, order and paging. */
  searchModelVersions(req: RegistrySearchRequest): Promise<Page<ModelVersion>>;
  /** Sets (upserts) a model version tag. */
  setModelVersionTag(name: string, version: string | number, tag: Tag): Promise<void>;
  /** Deletes a model version tag; an absent key is no error. */
  deleteModelVersionTag(name: string, version: string | number, key: string): Promise<void>;

  /** Points an alias at a live version (moving it if it exists). */
  setRegisteredModelAlias(name: string, alias: string, version: string | number): Promise<void>;
  /** Removes an alias; an absent alias is no error. */
  deleteRegisteredModelAlias(name: string, alias: string): Promise<void>;
  /** The version an alias points at; `latest` is the highest live version. */
  getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion>;

  /** Releases files, handles and connections. */
  close(): Promise<void>;
}
