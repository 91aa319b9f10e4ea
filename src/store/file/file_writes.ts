/**
 * Run writes of the file store: meta.yaml rewrites, lifecycle changes of many runs, and the body
 * of log-batch (params write-once, metrics as whole-line appends, tags replaced atomically).
 */
import { join } from "node:path";
import { invalidParam, type MltError } from "../../errors.ts";
import { type Clock, newRunId } from "../../ids.ts";
import { newRunName } from "../../validate.ts";
import type { Experiment, LifecycleStage, Metric, Param, RunInfo, Tag } from "../../model.ts";
import type { CreateRunRequest } from "../store.ts";
import { TAG } from "../../model.ts";
import { appendText, readText, writeAtomic, writeOnce } from "./file_io.ts";
import type { ExperimentLoc, FileReader, RunLoc } from "./file_reader.ts";
import { metricLine, parseYamlMapping, runToYaml } from "./format.ts";
import { appendUriPath, metaPath, runFilePath } from "./layout.ts";

/** Rewrites a run's meta.yaml atomically; `deletedTime` undefined drops the key, as MLflow. */
export function writeRunInfo(loc: RunLoc, info: RunInfo, deletedTime: number | undefined): void {
  const { deletedTime: _, ...rest } = info;
  const path = metaPath(loc.dir);
  writeAtomic(path, runToYaml(rest, deletedTime, currentMeta(path)), loc.dir, true);
}

/** The mapping in a meta.yaml about to be replaced, so keys mlt does not know survive. */
export function currentMeta(path: string): Record<string, unknown> {
  try {
    return parseYamlMapping(readText(path) ?? "") ?? {};
  } catch {
    return {};
  }
}

/**
 * Creates a run folder in an active experiment with MLflow's defaults: name from the argument,
 * else the `mlflow.runName` tag, else a random one; the tag is added when absent.
 */
export function writeNewRun(
  exp: ExperimentLoc,
  experiment: Experiment,
  req: CreateRunRequest,
  tags: Tag[],
  clock: Clock,
): RunLoc {
  const { runName, tags: allTags } = newRunName(req.runName, tags);
  const runId = newRunId();
  const dir = join(exp.dir, runId);
  Deno.mkdirSync(dir);
  const info: RunInfo = {
    runId,
    experimentId: exp.id,
    runName,
    userId: req.userId || "unknown",
    status: "RUNNING",
    startTime: req.startTime ?? clock(),
    artifactUri: appendUriPath(experiment.artifactLocation, runId, "artifacts"),
    lifecycleStage: "active",
  };
  writeAtomic(metaPath(dir), runToYaml(info, null), dir, true);
  // MLflow creates these three up front.
  for (const sub of ["metrics", "params", "artifacts"]) Deno.mkdirSync(join(dir, sub));
  for (const t of allTags) writeAtomic(runFilePath(dir, "tags", t.key), t.value, dir);
  return { runId, expId: exp.id, expDir: exp.dir, dir };
}

/** Moves every run of an experiment in stage `from` to `to` (delete/restore of experiments). */
export function setRunsStage(
  reader: FileReader,
  exp: ExperimentLoc,
  from: LifecycleStage,
  to: LifecycleStage,
  deletedTime: number | undefined,
): void {
  for (const loc of reader.runLocs(exp)) {
    const info = reader.tryRunInfo(loc);
    if (info?.lifecycleStage === from) {
      writeRunInfo(loc, { ...info, lifecycleStage: to }, deletedTime);
    }
  }
}

// The conflict with the value already logged for a param, read fresh (never from cache).
function paramConflict(reader: FileReader, loc: RunLoc, p: Param): MltError | undefined {
  const path = runFilePath(loc.dir, "params", p.key);
  let current: string | undefined;
  try {
    current = readText(path);
  } catch {
    return invalidParam(`Cannot log param '${p.key}': "${reader.rel(path)}" is not a file`);
  }
  if (current === undefined || current === p.value) return undefined;
  return invalidParam(
    `Changing param values is not allowed. Param with key='${p.key}' was already logged with ` +
      `value='${current}' for run ID='${loc.runId}'. Attempted logging new value '${p.value}'.`,
  );
}

/** Runs a write of a key's file; a key colliding with a nested key's path is a client error. */
export function writeKeyFile<T>(write: () => T, key: string): T {
  try {
    return write();
  } catch (e) {
    if (
      e instanceof Deno.errors.NotADirectory || e instanceof Deno.errors.IsADirectory ||
      e instanceof Deno.errors.AlreadyExists
    ) {
      throw invalidParam(`Cannot store key '${key}': it collides with another key's path`);
    }
    throw e;
  }
}

/**
 * Writes a validated batch to an active run: params (after checking all for conflicts), then
 * metrics, then tags; `mlflow.runName` also renames the run in meta.yaml.
 */
export function writeBatch(
  reader: FileReader,
  loc: RunLoc,
  info: RunInfo,
  batch: { params: Param[]; metrics: Metric[]; tags: Tag[] },
): void {
  for (const p of batch.params) {
    const conflict = paramConflict(reader, loc, p);
    if (conflict) throw conflict;
  }
  for (const p of batch.params) {
    const path = runFilePath(loc.dir, "params", p.key);
    // Hard link of a complete temp file: of two processes logging one key, exactly one wins.
    if (!writeKeyFile(() => writeOnce(path, p.value, loc.dir), p.key)) {
      const conflict = paramConflict(reader, loc, p);
      if (conflict) throw conflict;
    }
  }
  const lines = new Map<string, string>();
  for (const m of batch.metrics) lines.set(m.key, (lines.get(m.key) ?? "") + metricLine(m));
  for (const [key, text] of lines) {
    writeKeyFile(() => appendText(runFilePath(loc.dir, "metrics", key), text), key);
  }
  let runName: string | undefined;
  for (const t of batch.tags) {
    writeKeyFile(() => writeAtomic(runFilePath(loc.dir, "tags", t.key), t.value, loc.dir), t.key);
    if (t.key === TAG.runName) runName = t.value;
  }
  if (runName !== undefined && runName !== info.runName) {
    writeRunInfo(loc, { ...reader.runInfo(loc), runName }, undefined);
  }
}
