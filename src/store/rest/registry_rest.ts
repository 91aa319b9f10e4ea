/**
 * The REST registry: ModelRegistryStore over MLflow's registry endpoints (an `mlt server`, or
 * MLflow's), for the CLI against a server. Validation is the server's.
 * Must not import other store implementations, api/, ui/ or cli/.
 */
import { encodeTags } from "../../entity_json.ts";
import type { Page, Tag } from "../../model.ts";
import type { ModelVersion, RegisteredModel } from "../../registry_model.ts";
import type {
  CreateModelVersionRequest,
  ModelRegistryStore,
  RegistrySearchRequest,
} from "../registry.ts";
import type { StoreOptions } from "../store.ts";
import { HttpTransport, type Json } from "./rest_http.ts";
import { list, ShapeError } from "./rest_wire.ts";
import { modelVersionFromWire, registeredModelFromWire } from "./registry_wire.ts";

type Method = "GET" | "POST" | "PATCH" | "DELETE";

/** MLflow's model registry over HTTP. */
export class RestRegistryStore implements ModelRegistryStore {
  readonly uri: string;
  readonly #http: HttpTransport;

  constructor(uri: string, opts: StoreOptions = {}) {
    this.#http = new HttpTransport(uri, opts.http);
    this.uri = this.#http.base;
  }

  async #call<T>(method: Method, endpoint: string, fields: Json, decode: (b: Json) => T) {
    const body = await this.#http.call(method, endpoint, fields);
    try {
      return decode(body);
    } catch (e) {
      if (!(e instanceof ShapeError)) throw e;
      throw this.#http.garbage(`${method} ${endpoint}`, `JSON with ${e.message}`);
    }
  }

  #model(method: Method, endpoint: string, fields: Json): Promise<RegisteredModel> {
    return this.#call(method, endpoint, fields, (b) => registeredModelFromWire(b.registered_model));
  }

  #version(method: Method, endpoint: string, fields: Json): Promise<ModelVersion> {
    return this.#call(method, endpoint, fields, (b) => modelVersionFromWire(b.model_version));
  }

  #versions(b: Json, key = "model_versions"): ModelVersion[] {
    return list(b[key], key).map(modelVersionFromWire);
  }

  // One page of a search: the items under `key` and the next page's token.
  #search<T>(endpoint: string, key: string, req: RegistrySearchRequest, decode: (v: unknown) => T) {
    const fields = {
      filter: req.filter,
      max_results: req.maxResults,
      order_by: req.orderBy,
      page_token: req.pageToken,
    };
    return this.#call("GET", endpoint, fields, (b): Page<T> => ({
      items: list(b[key], key).map(decode),
      nextPageToken: typeof b.next_page_token === "string" && b.next_page_token
        ? b.next_page_token
        : undefined,
    }));
  }

  async #send(method: Method, endpoint: string, fields: Json): Promise<void> {
    await this.#http.call(method, endpoint, fields);
  }

  createRegisteredModel(name: string, tags?: Tag[], description?: string) {
    return this.#model("POST", "registered-models/create", {
      name,
      tags: encodeTags(tags),
      description,
    });
  }

  getRegisteredModel(name: string) {
    return this.#model("GET", "registered-models/get", { name });
  }

  renameRegisteredModel(name: string, newName: string) {
    return this.#model("POST", "registered-models/rename", { name, new_name: newName });
  }

  updateRegisteredModel(name: string, description?: string) {
    return this.#model("PATCH", "registered-models/update", { name, description });
  }

  deleteRegisteredModel(name: string) {
    return this.#send("DELETE", "registered-models/delete", { name });
  }

  searchRegisteredModels(req: RegistrySearchRequest): Promise<Page<RegisteredModel>> {
    return this.#search(
      "registered-models/search",
      "registered_models",
      req,
      registeredModelFromWire,
    );
  }

  getLatestVersions(name: string, stages?: string[]) {
    return this.#call(
      "POST",
      "registered-models/get-latest-versions",
      { name, stages },
      (b) => this.#versions(b),
    );
  }

  setRegisteredModelTag(name: string, tag: Tag) {
    return this.#send("POST", "registered-models/set-tag", { name, ...tag });
  }

  deleteRegisteredModelTag(name: string, key: string) {
    return this.#send("DELETE", "registered-models/delete-tag", { name, key });
  }

  createModelVersion(req: CreateModelVersionRequest) {
    return this.#version("POST", "model-versions/create", {
      name: req.name,
      source: req.source,
      run_id: req.runId,
      tags: encodeTags(req.tags),
      run_link: req.runLink,
      description: req.description,
      model_id: req.modelId,
    });
  }

  getModelVersion(name: string, version: string | number) {
    return this.#version("GET", "model-versions/get", { name, version: String(version) });
  }

  updateModelVersion(name: string, version: string | number, description?: string) {
    return this.#version("PATCH", "model-versions/update", {
      name,
      version: String(version),
      description,
    });
  }

  transitionModelVersionStage(
    name: string,
    version: string | number,
    stage: string,
    archiveExistingVersions: boolean,
  ) {
    return this.#version("POST", "model-versions/transition-stage", {
      name,
      version: String(version),
      stage,
      archive_existing_versions: archiveExistingVersions,
    });
  }

  deleteModelVersion(name: string, version: string | number) {
    return this.#send("DELETE", "model-versions/delete", { name, version: String(version) });
  }

  getModelVersionDownloadUri(name: string, version: string | number): Promise<string> {
    return this.#call(
      "GET",
      "model-versions/get-download-uri",
      { name, version: String(version) },
      (b) => {
        if (typeof b.artifact_uri !== "string") throw new ShapeError('no "artifact_uri"');
        return b.artifact_uri;
      },
    );
  }

  searchModelVersions(req: RegistrySearchRequest): Promise<Page<ModelVersion>> {
    return this.#search("model-versions/search", "model_versions", req, modelVersionFromWire);
  }

  setModelVersionTag(name: string, version: string | number, tag: Tag) {
    return this.#send("POST", "model-versions/set-tag", {
      name,
      version: String(version),
      ...tag,
    });
  }

  deleteModelVersionTag(name: string, version: string | number, key: string) {
    return this.#send("DELETE", "model-versions/delete-tag", {
      name,
      version: String(version),
      key,
    });
  }

  setRegisteredModelAlias(name: string, alias: string, version: string | number) {
    return this.#send("POST", "registered-models/alias", {
      name,
      alias,
      version: String(version),
    });
  }

  deleteRegisteredModelAlias(name: string, alias: string) {
    return this.#send("DELETE", "registered-models/alias", { name, alias });
  }

  getModelVersionByAlias(name: string, alias: string) {
    return this.#version("GET", "registered-models/alias", { name, alias });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
