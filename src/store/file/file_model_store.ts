/**
 * The logged-model half of the file store (MLflow 3's `<exp>/models/<id>/` folders): FileStore
 * extends this class, which keeps these operations out of the main façade. The work is done by
 * FileModels (file_models.ts) and the searches of file_model_search.ts.
 */
import type { LoggedModel, LoggedModelStatus, Page, Param, Tag } from "../../model.ts";
import type { CreateLoggedModelRequest, SearchLoggedModelsRequest } from "../store.ts";
import type { FileModels } from "./file_models.ts";
import { deletedModelIdsIn, searchModelsIn } from "./file_model_search.ts";
import type { FileReader } from "./file_reader.ts";

/** What the logged-model operations need from the store. */
export interface FileModelContext {
  models: FileModels;
  reader: FileReader;
  ensureRoot(): Promise<void>;
}

/** Logged models in an mlruns tree; the store supplies its reader and model folders. */
export abstract class FileModelStore {
  /** The store's model folders, reader and first-write initialisation. */
  protected abstract modelContext(): FileModelContext;

  get #ctx(): FileModelContext {
    return this.modelContext();
  }

  async createLoggedModel(req: CreateLoggedModelRequest): Promise<LoggedModel> {
    await this.#ctx.ensureRoot();
    return this.#ctx.models.create(req);
  }

  getLoggedModel(modelId: string, o: { allowDeleted?: boolean } = {}): Promise<LoggedModel> {
    return settle(() => this.#ctx.models.get(modelId, o.allowDeleted));
  }

  finalizeLoggedModel(modelId: string, status: LoggedModelStatus): Promise<LoggedModel> {
    return settle(() => this.#ctx.models.finalize(modelId, status));
  }

  deleteLoggedModel(modelId: string): Promise<void> {
    return settle(() => this.#ctx.models.delete(modelId));
  }

  setLoggedModelTags(modelId: string, tags: Tag[]): Promise<void> {
    return settle(() => this.#ctx.models.setTags(modelId, tags));
  }

  deleteLoggedModelTag(modelId: string, key: string): Promise<void> {
    return settle(() => this.#ctx.models.deleteTag(modelId, key));
  }

  logLoggedModelParams(modelId: string, params: Param[]): Promise<void> {
    return settle(() => this.#ctx.models.logParams(modelId, params));
  }

  searchLoggedModels(req: SearchLoggedModelsRequest): Promise<Page<LoggedModel>> {
    return settle(() => searchModelsIn(this.#ctx.reader, this.#ctx.models, req));
  }

  deletedLoggedModelIds(before?: number): Promise<string[]> {
    return settle(() => deletedModelIdsIn(this.#ctx.reader, this.#ctx.models, before));
  }

  hardDeleteLoggedModel(modelId: string): Promise<void> {
    return settle(() => this.#ctx.models.hardDelete(modelId));
  }
}

// Runs synchronous store code as a promise, so errors reject instead of throwing.
function settle<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (e) {
    return Promise.reject(e);
  }
}
