/**
 * The protobuf JSON of MLflow's entities that both sides write the same way: the server's
 * responses (src/api/wire.ts) and the REST store's requests (src/store/rest/rest_wire.ts).
 * Doubles keep NaN and ±Infinity as strings; unset optional fields and empty lists are left out.
 */
import type { DatasetInput, LoggedModelStatus, Metric, Tag } from "./model.ts";

/**
 * A double as protobuf JSON writes it: NaN and ±Infinity as strings. A value that is not a number
 * (a script's mistake the REST store sends on) passes unchanged, for the server to refuse.
 */
export function encodeDouble(v: number): number | string {
  if (typeof v !== "number" || Number.isFinite(v)) return v;
  return Number.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
}

/** A tag or param as `{key, value}`. */
export function encodeTag(t: Tag): { key: string; value: string } {
  return { key: t.key, value: t.value };
}

/** Tags or params; none → left out. */
export function encodeTags(
  ts: readonly Tag[] | undefined,
): { key: string; value: string }[] | undefined {
  return ts?.length ? ts.map(encodeTag) : undefined;
}

/** One metric point without its run id (requests imply it; responses add it where MLflow does). */
export function encodeMetricFields(m: Metric): Record<string, unknown> {
  const o: Record<string, unknown> = {
    key: m.key,
    value: encodeDouble(m.value),
    timestamp: m.timestamp,
    step: m.step ?? 0,
  };
  if (m.datasetName) o.dataset_name = m.datasetName;
  if (m.datasetDigest) o.dataset_digest = m.datasetDigest;
  if (m.modelId) o.model_id = m.modelId;
  return o;
}

/** A dataset input: its tags (left out when none) and the dataset. */
export function encodeDatasetInput(d: DatasetInput): Record<string, unknown> {
  const ds = d.dataset;
  const dataset: Record<string, unknown> = {
    name: ds.name,
    digest: ds.digest,
    source_type: ds.sourceType,
    source: ds.source,
  };
  if (ds.schema) dataset.schema = ds.schema;
  if (ds.profile) dataset.profile = ds.profile;
  return d.tags?.length ? { tags: d.tags.map(encodeTag), dataset } : { dataset };
}

/** Wire names (protobuf enum LoggedModelStatus) of each logged model status. */
export const LOGGED_MODEL_STATUS_WIRE: Readonly<Record<LoggedModelStatus, string>> = {
  UNSPECIFIED: "LOGGED_MODEL_STATUS_UNSPECIFIED",
  PENDING: "LOGGED_MODEL_PENDING",
  READY: "LOGGED_MODEL_READY",
  FAILED: "LOGGED_MODEL_UPLOAD_FAILED",
};
