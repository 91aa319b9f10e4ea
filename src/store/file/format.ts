/**
 * The mlruns file formats as pure functions: meta.yaml of experiments, runs, datasets and inputs
 * (PyYAML-compatible through js-yaml), metric lines and Python `repr(float)` numbers.
 */
import { dump, load } from "js-yaml";
import { MltError } from "../../errors.ts";
import {
  type Dataset,
  type Experiment,
  type LifecycleStage,
  type Metric,
  RUN_STATUS_NUMBER,
  RUN_STATUSES,
  type RunInfo,
  type RunStatus,
  type Tag,
} from "../../model.ts";

/** Dumps an object as MLflow's PyYAML does (block style, sorted keys, no folding). */
export function dumpYaml(obj: Record<string, unknown>): string {
  return dump(obj, { sortKeys: true, lineWidth: -1 });
}

/** Parses a meta.yaml into a mapping; undefined when it is empty, not YAML or not a mapping. */
export function parseYamlMapping(text: string): Record<string, unknown> | undefined {
  let v: unknown;
  try {
    // js-yaml's default schema refuses `!!python/…` tags, so nothing in a file can run code.
    v = load(text);
  } catch {
    return undefined;
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) return undefined;
  return v as Record<string, unknown>;
}

// Optional integer fields: null/absent → undefined; anything else must be a number.
function optInt(v: unknown): number | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === "number" && Number.isSafeInteger(v)) return v;
  if (typeof v === "string" && /^-?\d+$/.test(v)) return Number(v);
  throw new Error(`expected an integer, got ${JSON.stringify(v)}`);
}

// Optional text fields: null/absent → undefined; numbers as text; lists and mappings are errors.
function optStr(v: unknown, what: string): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  throw new Error(`"${what}" is not a string`);
}

function str(v: unknown, what: string): string {
  if (typeof v === "string") return v;
  // Very old stores wrote experiment ids as integers.
  if (typeof v === "number" && Number.isInteger(v)) return String(v);
  throw new Error(`"${what}" is missing or not a string`);
}

function stage(v: unknown): LifecycleStage {
  if (v === undefined || v === null || v === "active") return "active";
  if (v === "deleted") return "deleted";
  throw new Error(`unknown lifecycle_stage ${JSON.stringify(v)}`);
}

/**
 * The experiment meta.yaml as MLflow writes it; `tags` (a mapping) only on rewrites. Keys of
 * `base` (the file being replaced) that mlt does not know, such as newer MLflow's `workspace`,
 * are kept.
 */
export function experimentToYaml(
  e: Experiment,
  withTags: boolean,
  base: Record<string, unknown> = {},
): string {
  const obj: Record<string, unknown> = {
    ...base,
    artifact_location: e.artifactLocation,
    creation_time: e.creationTime ?? null,
    experiment_id: e.experimentId,
    last_update_time: e.lastUpdateTime ?? null,
    lifecycle_stage: e.lifecycleStage,
    name: e.name,
  };
  if (withTags) obj.tags = Object.fromEntries(e.tags.map((t) => [t.key, t.value]));
  return dumpYaml(obj);
}

/** Reads an experiment meta mapping (tags come from files, never from here); throws Error. */
export function experimentFromMeta(m: Record<string, unknown>): Experiment {
  return {
    experimentId: str(m.experiment_id, "experiment_id"),
    name: str(m.name, "name"),
    artifactLocation: str(m.artifact_location ?? "", "artifact_location"),
    lifecycleStage: stage(m.lifecycle_stage),
    creationTime: optInt(m.creation_time),
    lastUpdateTime: optInt(m.last_update_time),
    tags: [],
  };
}

/**
 * The run meta.yaml. `deletedTime`: a number writes it, null writes `deleted_time: null` (creation
 * only), undefined drops the key as MLflow's rewrites do. Unknown keys of `base` are kept.
 */
export function runToYaml(
  info: RunInfo,
  deletedTime: number | null | undefined,
  base: Record<string, unknown> = {},
): string {
  const { deleted_time: _, ...kept } = base;
  const obj: Record<string, unknown> = {
    ...kept,
    artifact_uri: info.artifactUri,
    end_time: info.endTime ?? null,
    entry_point_name: "",
    experiment_id: info.experimentId,
    lifecycle_stage: info.lifecycleStage,
    run_id: info.runId,
    run_name: info.runName ?? "",
    source_name: "",
    source_type: 4,
    source_version: "",
    start_time: info.startTime ?? null,
    status: RUN_STATUS_NUMBER[info.status],
    tags: [],
    user_id: info.userId,
  };
  if (deletedTime !== undefined) obj.deleted_time = deletedTime;
  return dumpYaml(obj);
}

function status(v: unknown): RunStatus {
  if (v === undefined || v === null) return "RUNNING";
  if (typeof v === "number" && v >= 1 && v <= RUN_STATUSES.length) return RUN_STATUSES[v - 1];
  if (typeof v === "string" && (RUN_STATUSES as readonly string[]).includes(v)) {
    return v as RunStatus;
  }
  throw new Error(`unknown status ${JSON.stringify(v)}`);
}

/** Reads a run meta mapping, old formats included (`run_uuid`, int ids, no stage/status). */
export function runFromMeta(m: Record<string, unknown>): RunInfo {
  const runName = optStr(m.run_name ?? m.name, "run_name");
  const info: RunInfo = {
    runId: str(m.run_id ?? m.run_uuid, "run_id"),
    experimentId: str(m.experiment_id, "experiment_id"),
    runName: runName !== "" ? runName : undefined,
    userId: optStr(m.user_id, "user_id") ?? "",
    status: status(m.status),
    startTime: optInt(m.start_time),
    endTime: optInt(m.end_time),
    artifactUri: optStr(m.artifact_uri, "artifact_uri") ?? "",
    lifecycleStage: stage(m.lifecycle_stage),
  };
  const deleted = optInt(m.deleted_time);
  if (deleted !== undefined) info.deletedTime = deleted;
  return info;
}

/** The dataset meta.yaml (`<exp>/datasets/<id>/meta.yaml`). */
export function datasetToYaml(d: Dataset): string {
  return dumpYaml({
    digest: d.digest,
    name: d.name,
    profile: d.profile ?? null,
    schema: d.schema ?? null,
    source: d.source,
    source_type: d.sourceType,
  });
}

/** Reads a dataset meta mapping. */
export function datasetFromMeta(m: Record<string, unknown>): Dataset {
  const d: Dataset = {
    name: str(m.name, "name"),
    digest: str(m.digest, "digest"),
    sourceType: str(m.source_type, "source_type"),
    source: str(m.source, "source"),
  };
  if (typeof m.schema === "string") d.schema = m.schema;
  if (typeof m.profile === "string") d.profile = m.profile;
  return d;
}

/** A dataset input edge of a run (`<run>/inputs/<id>/meta.yaml`). */
export interface InputMeta {
  sourceId: string;
  sourceType: string;
  destinationId: string;
  destinationType: string;
  tags: Tag[];
}

/** The input edge meta.yaml. */
export function inputToYaml(i: InputMeta): string {
  return dumpYaml({
    destination_id: i.destinationId,
    destination_type: i.destinationType,
    source_id: i.sourceId,
    source_type: i.sourceType,
    tags: Object.fromEntries(i.tags.map((t) => [t.key, t.value])),
  });
}

/** Reads an input edge meta mapping. */
export function inputFromMeta(m: Record<string, unknown>): InputMeta {
  const tags = m.tags && typeof m.tags === "object" && !Array.isArray(m.tags)
    ? Object.entries(m.tags as Record<string, unknown>).map(([key, v]) => ({
      key,
      value: v == null ? "" : String(v),
    }))
    : [];
  return {
    sourceId: str(m.source_id, "source_id"),
    sourceType: str(m.source_type, "source_type"),
    destinationId: m.destination_id == null ? "" : String(m.destination_id),
    destinationType: m.destination_type == null ? "" : String(m.destination_type),
    tags,
  };
}

/** Python's `repr(float)`: shortest round-trip digits, exponent when exp < -4 or ≥ 16. */
export function formatFloat(v: number): string {
  if (Number.isNaN(v)) return "nan";
  if (v === Infinity) return "inf";
  if (v === -Infinity) return "-inf";
  if (v === 0) return Object.is(v, -0) ? "-0.0" : "0.0";
  // toExponential() without an argument gives the shortest digits that round-trip.
  const [mant, expText] = Math.abs(v).toExponential().split("e");
  const exp = Number(expText);
  const digits = mant.replace(".", "");
  let out: string;
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    out = `${m}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  } else if (exp < 0) {
    out = `0.${"0".repeat(-exp - 1)}${digits}`;
  } else {
    out = `${digits.slice(0, exp + 1).padEnd(exp + 1, "0")}.${digits.slice(exp + 1) || "0"}`;
  }
  return v < 0 ? `-${out}` : out;
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const SPECIAL = /^([+-]?)(nan|inf|infinity)$/i;

/** Parses a float written by Python (`nan`, `inf`, `1e-05`) or JS (`NaN`, `Infinity`). */
export function parseFloatText(s: string): number | undefined {
  if (DECIMAL.test(s)) return Number(s);
  const m = SPECIAL.exec(s);
  if (!m) return undefined;
  if (m[2].toLowerCase() === "nan") return NaN;
  return m[1] === "-" ? -Infinity : Infinity;
}

function parseInteger(s: string): number | undefined {
  return /^[+-]?\d+$/.test(s) ? Number(s) : undefined;
}

/** One metric line (with its trailing newline) as MLflow appends it. */
export function metricLine(m: Metric): string {
  const base = `${m.timestamp} ${formatFloat(m.value)} ${m.step}`;
  return m.datasetName !== undefined && m.datasetDigest !== undefined
    ? `${base} ${m.datasetName} ${m.datasetDigest}\n`
    : `${base}\n`;
}

function malformed(key: string, detail: string): MltError {
  return new MltError("INTERNAL_ERROR", `Metric '${key}' is malformed; ${detail}`);
}

/** Parses one metric line of 2, 3 or 5 fields; INTERNAL_ERROR "Metric 'k' is malformed…". */
export function parseMetricLine(key: string, line: string): Metric {
  const parts = line.trim().split(" ");
  if (parts.length !== 2 && parts.length !== 3 && parts.length !== 5) {
    throw malformed(
      key,
      `persisted metric data contained ${parts.length} fields. Expected 2, 3, or 5 fields.`,
    );
  }
  const timestamp = parseInteger(parts[0]);
  const value = parseFloatText(parts[1]);
  const step = parts.length >= 3 ? parseInteger(parts[2]) : 0;
  if (timestamp === undefined || value === undefined || step === undefined) {
    throw malformed(key, `line ${JSON.stringify(line)} holds a non-numeric field.`);
  }
  const m: Metric = { key, value, timestamp, step };
  if (parts.length === 5) {
    m.datasetName = parts[3];
    m.datasetDigest = parts[4];
  }
  return m;
}

/** Called with the error of each malformed metric line a reader skips. */
export type OnBadLine = (error: MltError) => void;

/**
 * Parses the complete lines of metric text; a torn last line without newline is ignored. A
 * malformed line throws, or is skipped and reported to `onBad` when one is given.
 */
export function parseMetricText(key: string, text: string, onBad?: OnBadLine): Metric[] {
  const end = text.lastIndexOf("\n");
  const out: Metric[] = [];
  for (let i = 0; i <= end;) {
    const nl = text.indexOf("\n", i);
    const m = fastMetricLine(key, text, i, nl);
    if (m) out.push(m);
    else {
      const line = text.slice(i, nl);
      if (line.trim() !== "") {
        const p = tryMetricLine(key, line, onBad);
        if (p) out.push(p);
      }
    }
    i = nl + 1;
  }
  return out;
}

/** parseMetricLine, except that with `onBad` a malformed line is reported and gives undefined. */
export function tryMetricLine(key: string, line: string, onBad?: OnBadLine): Metric | undefined {
  if (!onBad) return parseMetricLine(key, line);
  try {
    return parseMetricLine(key, line);
  } catch (e) {
    if (!(e instanceof MltError)) throw e;
    onBad(e);
    return undefined;
  }
}

// The value of an unsigned decimal integer of at most 15 digits (exact in a double), else -1.
function smallInt(text: string, from: number, to: number): number {
  if (from >= to || to - from > 15) return -1;
  let v = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

// True when text[from, to) holds only digits and the other characters of a decimal float.
function isFloatChars(text: string, from: number, to: number): boolean {
  if (from >= to) return false;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    // 0-9 . e E + -
    if (!((c >= 48 && c <= 57) || c === 46 || c === 101 || c === 69 || c === 43 || c === 45)) {
      return false;
    }
  }
  return true;
}

/**
 * The common line `<timestamp> <value> <step>` (unsigned integers, a decimal value, single
 * spaces) without regular expressions or splitting; undefined for anything else, which the exact
 * parser then handles (same results: over these characters Number() accepts what DECIMAL does).
 */
function fastMetricLine(key: string, text: string, from: number, to: number): Metric | undefined {
  const a = text.indexOf(" ", from);
  if (a < 0 || a >= to) return undefined;
  const b = text.indexOf(" ", a + 1);
  if (b < 0 || b >= to) return undefined;
  const timestamp = smallInt(text, from, a), step = smallInt(text, b + 1, to);
  if (timestamp < 0 || step < 0 || !isFloatChars(text, a + 1, b)) return undefined;
  const value = Number(text.slice(a + 1, b));
  if (Number.isNaN(value)) return undefined;
  return { key, value, timestamp, step };
}

/** True when `a` beats `b` as the latest point: max by (step, timestamp, value), first wins ties. */
export function isLater(a: Metric, b: Metric): boolean {
  if (a.step !== b.step) return a.step > b.step;
  if (a.timestamp !== b.timestamp) return a.timestamp > b.timestamp;
  // As in Python, NaN is never greater, so MLflow's max() keeps the earlier point.
  return a.value > b.value;
}

/** The latest point of a metric (MLflow's `max` by step, timestamp, value). */
export function latestMetric(points: Metric[]): Metric | undefined {
  let best: Metric | undefined;
  for (const p of points) if (!best || isLater(p, best)) best = p;
  return best;
}
