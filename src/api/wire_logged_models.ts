/**
 * The wire format of MLflow 3's logged-model endpoints: request schemas (spread into wire.ts's
 * SCHEMAS, keyed by name, not by route: the routes carry the model id in their path) and the
 * `LoggedModel` message `{info, data}` of responses. Must not import wire.ts (it imports this).
 */
import { encodeMetricFields, encodeTags, LOGGED_MODEL_STATUS_WIRE } from "../entity_json.ts";
import type { LoggedModel } from "../model.ts";

type Type = "str" | "i64" | "bool" | "strs" | { enum: Readonly<Record<string, number>> } | {
  msgs: Readonly<Record<string, Field>>;
};
interface Field {
  camel: string;
  type: Type;
  required: boolean;
}
const f = (camel: string, type: Type = "str"): Field => ({ camel, type, required: false });
const req = (camel: string, type: Type = "str"): Field => ({ camel, type, required: true });

const TAG = { key: req("key"), value: f("value") };
const MODEL_ID = { model_id: req("modelId") };
/** Protobuf's LoggedModelStatus enum. */
export const LOGGED_MODEL_STATUS_ENUM = {
  enum: {
    LOGGED_MODEL_STATUS_UNSPECIFIED: 0,
    LOGGED_MODEL_PENDING: 1,
    LOGGED_MODEL_READY: 2,
    LOGGED_MODEL_UPLOAD_FAILED: 3,
  },
} as const;

/** Request schemas of the logged-model endpoints (MLflow's handlers' required fields). */
export const LOGGED_MODEL_SCHEMAS = {
  "logged-models/create": {
    experiment_id: req("experimentId"),
    name: f("name"),
    model_type: f("modelType"),
    source_run_id: f("sourceRunId"),
    params: f("params", { msgs: TAG }),
    tags: f("tags", { msgs: TAG }),
  },
  "logged-models/get": MODEL_ID,
  "logged-models/finalize": { ...MODEL_ID, status: req("status", LOGGED_MODEL_STATUS_ENUM) },
  "logged-models/delete": MODEL_ID,
  "logged-models/search": {
    experiment_ids: req("experimentIds", "strs"),
    filter: f("filter"),
    // Nested required fields are checked by the store, with MLflow's messages.
    datasets: f("datasets", {
      msgs: { dataset_name: f("datasetName"), dataset_digest: f("datasetDigest") },
    }),
    max_results: f("maxResults", "i64"),
    order_by: f("orderBy", {
      msgs: {
        field_name: f("fieldName"),
        ascending: f("ascending", "bool"),
        dataset_name: f("datasetName"),
        dataset_digest: f("datasetDigest"),
      },
    }),
    page_token: f("pageToken"),
  },
  "logged-models/set-tags": { ...MODEL_ID, tags: f("tags", { msgs: TAG }) },
  "logged-models/delete-tag": { ...MODEL_ID, tag_key: req("tagKey") },
  "logged-models/params": { ...MODEL_ID, params: f("params", { msgs: TAG }) },
  "logged-models/artifacts/directories": {
    ...MODEL_ID,
    artifact_directory_path: f("artifactDirectoryPath"),
    page_token: f("pageToken"),
  },
} as const;

/** Method and route (hono syntax, under the tracking prefixes) of each logged-model schema. */
export const LOGGED_MODEL_ROUTES: Readonly<
  Record<keyof typeof LOGGED_MODEL_SCHEMAS, readonly ["GET" | "POST" | "PATCH" | "DELETE", string]>
> = {
  "logged-models/create": ["POST", "/logged-models"],
  "logged-models/search": ["POST", "/logged-models/search"],
  "logged-models/get": ["GET", "/logged-models/:model_id"],
  "logged-models/finalize": ["PATCH", "/logged-models/:model_id"],
  "logged-models/delete": ["DELETE", "/logged-models/:model_id"],
  "logged-models/set-tags": ["PATCH", "/logged-models/:model_id/tags"],
  // Tag keys may hold "/" (nested keys), so the key is the rest of the path.
  "logged-models/delete-tag": ["DELETE", "/logged-models/:model_id/tags/:tag_key{.+}"],
  "logged-models/params": ["POST", "/logged-models/:model_id/params"],
  "logged-models/artifacts/directories": ["GET", "/logged-models/:model_id/artifacts/directories"],
};

/** A logged model as MLflow's `LoggedModel` message: info (with tags), data (params, metrics). */
export function encodeLoggedModel(m: LoggedModel): Record<string, unknown> {
  const info: Record<string, unknown> = {
    model_id: m.modelId,
    experiment_id: m.experimentId,
    name: m.name,
    creation_timestamp_ms: m.creationTimestamp,
    last_updated_timestamp_ms: m.lastUpdatedTimestamp,
    artifact_uri: m.artifactLocation,
    status: LOGGED_MODEL_STATUS_WIRE[m.status],
  };
  // "" is sent: MLflow stores the empty strings its handler passes for absent fields.
  if (m.modelType !== undefined) info.model_type = m.modelType;
  if (m.sourceRunId !== undefined) info.source_run_id = m.sourceRunId;
  if (m.statusMessage !== undefined) info.status_message = m.statusMessage;
  const tags = encodeTags(m.tags);
  if (tags) info.tags = tags;
  const data: Record<string, unknown> = {};
  const params = encodeTags(m.params);
  if (params) data.params = params;
  if (m.metrics.length) {
    data.metrics = m.metrics.map((p) => {
      const o = encodeMetricFields(p);
      if (p.runId) o.run_id = p.runId;
      return o;
    });
  }
  return { info, data };
}
