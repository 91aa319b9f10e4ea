/**
 * MLflow 3 logged models in the file store (`<exp>/models/<model_id>/`: meta.yaml, params/,
 * tags/, metrics/), byte-compatible with MLflow's FileStore: finding a model in any experiment,
 * reading it through the cache, and its writes (create, finalize, delete, tags, params, the
 * metric lines a run logs with a model id).
 */
import { join } from "node:path";
import { invalidParam, MltError, notFound } from "../../errors.ts";
import { type Clock, newLoggedModelId } from "../../ids.ts";
import {
  isLoggedModelStatus,
  type LoggedModel,
  type LoggedModelStatus,
  type Metric,
  type Param,
  type Tag,
} from "../../model.ts";
import { compareStrings } from "../../search/match.ts";
import { pyRepr } from "../../search/page_token.ts";
import {
  isLoggedModelId,
  validateKey,
  validateModelParams,
  validateModelTags,
  validateNewModel,
} from "../../validate.ts";
import type { CreateLoggedModelRequest } from "../store.ts";
import { appendText, isDir, isFile, readText, writeAtomic, writeOnce } from "./file_io.ts";
import { type ExperimentLoc, type FileReader, isValidKey, keyPath } from "./file_reader.ts";
import { currentMeta, writeKeyFile } from "./file_writes.ts";
import { parseYamlMapping } from "./format.ts";
import {
  appendUriPath,
  loggedModelDir,
  META_FILE,
  metaPath,
  modelsDir,
  type RunFileKind,
  runFilePath,
} from "./layout.ts";
import {
  loggedModelFromMeta,
  loggedModelToYaml,
  type ModelMeta,
  modelMetricLine,
  parseModelMetricText,
} from "./model_format.ts";

/** Where a logged model lives. */
export interface ModelLoc {
  modelId: string;
  expId: string;
  dir: string;
}

/** The parts of a model a search reads; everything when absent. */
export interface ModelParts {
  metrics?: Set<string> | "all";
  params?: Set<string>;
  tags?: Set<string>;
}

function parseMeta(text: string): ModelMeta {
  if (text.trim() === "") throw new Error("is empty");
  const m = parseYamlMapping(text);
  if (!m) throw new Error("is not a valid YAML mapping");
  return loggedModelFromMeta(m);
}

function sortedKeys(keys: readonly string[]): string[] {
  return [...keys].sort(compareStrings);
}

function textValue(text: string): string {
  return text;
}

/** A model id that is not one, or is absent: MLflow's FileStore message. */
export function modelNotFound(modelId: string): MltError {
  return notFound(`Model '${modelId}' not found`);
}

/** The logged models of one mlruns root. */
export class FileModels {
  #reader: FileReader;
  #clock: Clock;
  #truncate: boolean;
  #index = new Map<string, ModelLoc>();

  constructor(reader: FileReader, clock: Clock, truncate: boolean) {
    this.#reader = reader;
    this.#clock = clock;
    this.#truncate = truncate;
  }

  /** The model folders of an experiment (symlinks and foreign names skipped). */
  locs(exp: ExperimentLoc): ModelLoc[] {
    const out: ModelLoc[] = [];
    const dir = modelsDir(exp.dir);
    for (const e of this.#reader.cache.dir(dir)) {
      if (!e.isDirectory || !isLoggedModelId(e.name)) continue;
      const loc = { modelId: e.name, expId: exp.id, dir: join(dir, e.name) };
      this.#index.set(e.name, loc);
      out.push(loc);
    }
    return out;
  }

  /** Finds a model folder in any experiment (active or in `.trash`), or undefined. */
  find(modelId: string): ModelLoc | undefined {
    if (!isLoggedModelId(modelId)) return undefined;
    const known = this.#index.get(modelId);
    if (known && isDir(known.dir)) return known;
    this.#index.delete(modelId);
    for (const exp of this.#reader.experimentLocs("ALL")) {
      const dir = loggedModelDir(exp.dir, modelId);
      if (isDir(dir)) {
        const loc = { modelId, expId: exp.id, dir };
        this.#index.set(modelId, loc);
        return loc;
      }
    }
    return undefined;
  }

  /** A model's meta.yaml; INTERNAL_ERROR naming the file when broken or misplaced. */
  meta(loc: ModelLoc): ModelMeta {
    const path = `${loc.dir}/${META_FILE}`;
    const broken = (detail: string, cause?: unknown) =>
      new MltError(
        "INTERNAL_ERROR",
        `Cannot read logged model '${loc.modelId}': "${this.#reader.rel(path)}" ${detail}`,
        { cause },
      );
    let meta: ModelMeta | undefined;
    try {
      meta = this.#reader.cache.file(path, parseMeta);
    } catch (e) {
      throw broken((e as Error).message, e);
    }
    if (!meta) throw broken("is missing");
    if (meta.model.modelId !== loc.modelId || meta.model.experimentId !== loc.expId) {
      throw broken(
        `records model_id '${meta.model.modelId}' in experiment '${meta.model.experimentId}', ` +
          "which does not match its folder",
      );
    }
    return meta;
  }

  /** A model with its tags, params and metrics (or only the `parts` a search needs). */
  read(loc: ModelLoc, meta: ModelMeta, parts?: ModelParts): LoggedModel {
    const cache = this.#reader.cache;
    // Keys from a filter may be anything; one that is not a valid key cannot exist.
    const keys = (kind: RunFileKind, wanted?: Set<string> | "all") =>
      wanted === undefined || wanted === "all"
        ? sortedKeys(cache.walk(join(loc.dir, kind)))
        : [...wanted].filter(isValidKey);
    const kv = (kind: "params" | "tags", wanted?: Set<string>): Tag[] => {
      const out: Tag[] = [];
      for (const key of keys(kind, parts ? wanted ?? new Set() : undefined)) {
        const path = keyPath(loc.dir, kind, key);
        // mlt writes a model's params once (MLflow's client never rewrites them either), so a
        // settled value is answered without a stat, as for runs.
        const value = kind === "params"
          ? cache.immutable(path, textValue)
          : cache.file(path, textValue);
        if (value !== undefined) out.push({ key, value });
      }
      return out;
    };
    const metrics: Metric[] = [];
    for (const key of keys("metrics", parts?.metrics ?? "all")) {
      const path = keyPath(loc.dir, "metrics", key);
      try {
        const points = cache.file(path, (t) => parseModelMetricText(key, loc.modelId, t));
        if (points) metrics.push(...points);
      } catch (e) {
        this.#reader.warnOnce(
          `Skipping metric "${this.#reader.rel(path)}": ${(e as Error).message}`,
        );
      }
    }
    return {
      ...meta.model,
      tags: kv("tags", parts?.tags),
      params: kv("params", parts?.params),
      metrics,
    };
  }

  // A model that exists (and is not deleted, unless allowed), with its meta.
  #located(modelId: string, allowDeleted = false): { loc: ModelLoc; meta: ModelMeta } {
    const loc = this.find(modelId);
    if (!loc) throw modelNotFound(modelId);
    const meta = this.meta(loc);
    if (meta.deleted && !allowDeleted) throw modelNotFound(modelId);
    return { loc, meta };
  }

  /** Gets a model; deleted ones only when allowed. */
  get(modelId: string, allowDeleted = false): LoggedModel {
    const { loc, meta } = this.#located(modelId, allowDeleted);
    return this.read(loc, meta);
  }

  /** Creates a model folder (status PENDING) in an active experiment. */
  create(req: CreateLoggedModelRequest): LoggedModel {
    const { experimentId, name, params, tags } = validateNewModel(req, this.#truncate);
    const exp = this.#reader.findExperiment(experimentId);
    if (!exp) throw notFound(`Could not find experiment with ID ${experimentId}`);
    const experiment = this.#reader.readExperiment(exp);
    if (exp.deleted || experiment.lifecycleStage !== "active") {
      throw invalidParam(
        `The experiment ${experimentId} must be in the 'active' state. Current state is deleted.`,
      );
    }
    const modelId = newLoggedModelId();
    const now = this.#clock();
    const model: LoggedModel = {
      modelId,
      experimentId,
      name,
      artifactLocation: appendUriPath(experiment.artifactLocation, "models", modelId, "artifacts"),
      creationTimestamp: now,
      lastUpdatedTimestamp: now,
      status: "PENDING",
      tags: [],
      params: [],
      metrics: [],
    };
    if (req.modelType !== undefined) model.modelType = req.modelType;
    if (req.sourceRunId !== undefined) model.sourceRunId = req.sourceRunId;
    const dir = loggedModelDir(exp.dir, modelId);
    Deno.mkdirSync(dir, { recursive: true });
    writeAtomic(metaPath(dir), loggedModelToYaml(model, "active"), dir, true);
    // MLflow creates these two up front.
    for (const sub of ["metrics", "params"]) Deno.mkdirSync(join(dir, sub));
    const loc = { modelId, expId: experimentId, dir };
    this.#index.set(modelId, loc);
    this.#writeParams(loc, params);
    this.#writeTags(loc, tags);
    return this.get(modelId);
  }

  // Rewrites meta.yaml with `change` applied and a new last-updated time.
  #rewrite(
    modelId: string,
    stage: "deleted" | undefined,
    change: Partial<LoggedModel>,
  ): ModelLoc {
    const { loc, meta } = this.#located(modelId);
    const model = { ...meta.model, ...change, lastUpdatedTimestamp: this.#clock() };
    const path = metaPath(loc.dir);
    writeAtomic(path, loggedModelToYaml(model, stage, currentMeta(path)), loc.dir, true);
    return loc;
  }

  /** Sets the status (MLflow's finalize rewrites meta.yaml without lifecycle_stage). */
  finalize(modelId: string, status: LoggedModelStatus): LoggedModel {
    if (!isLoggedModelStatus(status)) throw invalidParam(`Unknown model status: ${status}`);
    this.#rewrite(modelId, undefined, { status });
    return this.get(modelId);
  }

  /** Marks a model deleted. */
  delete(modelId: string): void {
    this.#rewrite(modelId, "deleted", {});
  }

  #writeTags(loc: ModelLoc, tags: Tag[]): void {
    for (const t of tags) {
      const path = runFilePath(loc.dir, "tags", t.key);
      writeKeyFile(() => writeAtomic(path, t.value, loc.dir), t.key);
    }
  }

  /** Sets tags of an active model. */
  setTags(modelId: string, tags: Tag[]): void {
    const valid = validateModelTags(tags);
    this.#writeTags(this.#located(modelId).loc, valid);
  }

  /** Deletes a tag of an active model; RESOURCE_DOES_NOT_EXIST when absent. */
  deleteTag(modelId: string, key: string): void {
    validateKey(key, "key");
    const { loc } = this.#located(modelId);
    const path = runFilePath(loc.dir, "tags", key);
    if (!isFile(path)) {
      throw notFound(`No tag with key ${pyRepr(key)} found for model with ID ${pyRepr(modelId)}.`);
    }
    Deno.removeSync(path);
  }

  // The conflict of a param with the value on disk, read fresh.
  #paramConflict(loc: ModelLoc, p: Param): MltError | undefined {
    const current = readText(runFilePath(loc.dir, "params", p.key));
    if (current === undefined || current === p.value) return undefined;
    return invalidParam(
      `Changing param values is not allowed. Param with key='${p.key}' was already logged with ` +
        `value='${current}' for logged model ID='${loc.modelId}'. Attempted logging new value ` +
        `'${p.value}'.`,
    );
  }

  #writeParams(loc: ModelLoc, params: Param[]): void {
    for (const p of params) {
      const conflict = this.#paramConflict(loc, p);
      if (conflict) throw conflict;
    }
    for (const p of params) {
      const path = runFilePath(loc.dir, "params", p.key);
      if (!writeKeyFile(() => writeOnce(path, p.value, loc.dir), p.key)) {
        const conflict = this.#paramConflict(loc, p);
        if (conflict) throw conflict;
      }
    }
  }

  /** Logs params of an active model (the same value again is a no-op). */
  logParams(modelId: string, params: Param[]): void {
    const valid = validateModelParams(params, this.#truncate);
    this.#writeParams(this.#located(modelId).loc, valid);
  }

  /**
   * The metric lines a run's points with a model id add to their models' files, checked before
   * anything is written: every model must exist (deleted ones too, as in MLflow's SQL store).
   */
  metricLines(metrics: Metric[], runId: string): { path: string; key: string; text: string }[] {
    const out = new Map<string, { path: string; key: string; text: string }>();
    for (const m of metrics) {
      if (!m.modelId) continue;
      const { loc } = this.#located(m.modelId, true);
      const path = runFilePath(loc.dir, "metrics", m.key);
      const entry = out.get(path) ?? { path, key: m.key, text: "" };
      entry.text += modelMetricLine(m, runId);
      out.set(path, entry);
    }
    return [...out.values()];
  }

  /** Appends lines from metricLines(). */
  appendMetricLines(lines: { path: string; key: string; text: string }[]): void {
    for (const l of lines) writeKeyFile(() => appendText(l.path, l.text), l.key);
  }

  /** Permanently removes a model folder. */
  hardDelete(modelId: string): void {
    const { loc } = this.#located(modelId, true);
    Deno.removeSync(loc.dir, { recursive: true });
    this.#reader.cache.forget(loc.dir);
    this.#index.delete(modelId);
  }
}
