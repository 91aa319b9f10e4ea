/**
 * mlt's TypeScript logging client (the package's `./client` export): the fluent API — startRun,
 * logParam(s), logMetric(s), setTag(s), logArtifact(s), logText, logDict, endRun — and
 * MlflowClient with MLflow's method names, over a file store, SQLite or an http(s) server.
 * The client's edge: the only module of src/client/ that reads MLFLOW_* environment variables.
 *
 * ```ts
 * import * as mlt from "./src/client/mod.ts";
 * const run = await mlt.startRun({ experimentName: "demo" });
 * run.logParam("lr", 0.1);
 * for (let epoch = 0; epoch < 10; epoch++) mlt.logMetric("loss", 1 / (epoch + 1), epoch);
 * await mlt.endRun();
 * ```
 */
import { MltError } from "../errors.ts";
import type { Experiment, RunStatus } from "../model.ts";
import { httpOptionsFromEnv } from "../store/store.ts";
import type { ActiveRun, MetricOptions } from "./active_run.ts";
import { type ClientOptions, type KeyValues, TrackingClient } from "./client.ts";
import { Fluent, type StartRunOptions } from "./fluent.ts";

export type { ActiveRun, MetricOptions } from "./active_run.ts";
export type {
  ClientOptions,
  KeyValues,
  SearchExperimentsOptions,
  SearchRunsOptions,
} from "./client.ts";
export type { StartRunOptions } from "./fluent.ts";
export type { ArtifactEntry } from "../store/artifacts.ts";
export type { Experiment, Metric, Run, RunInfo, RunStatus, Tag } from "../model.ts";
export { MltError };

// Without --allow-env the client still works with explicit options.
function env(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

const fluent = new Fluent({ env });

/** MLflow's MlflowClient; with no tracking URI it uses setTrackingUri() / MLFLOW_TRACKING_URI. */
export class MlflowClient extends TrackingClient {
  constructor(opts: string | ClientOptions = {}) {
    const o = typeof opts === "string" ? { trackingUri: opts } : opts;
    super({
      store: o.store,
      trackingUri: o.trackingUri ?? (o.store ? undefined : fluent.getTrackingUri()),
      http: o.http ?? httpOptionsFromEnv(env),
    });
  }
}

/** Logs to `uri` from now on (a path, `file:`, `sqlite:` or `http(s):`). */
export function setTrackingUri(uri: string): void {
  fluent.setTrackingUri(uri);
}

/** The tracking URI in use: setTrackingUri(), else MLFLOW_TRACKING_URI, else `./mlruns`. */
export function getTrackingUri(): string {
  return fluent.getTrackingUri();
}

/** Makes an experiment current for new runs: by name (created if absent) or `{id}`. */
export function setExperiment(nameOrId: string | { id: string }): Promise<Experiment> {
  return fluent.setExperiment(nameOrId);
}

/**
 * Starts a run, or resumes MLFLOW_RUN_ID when launched by `mlt run`; it stays active until
 * endRun(). Open runs are flushed and ended FINISHED when the script's event loop ends.
 */
export function startRun(opts: StartRunOptions = {}): Promise<ActiveRun> {
  return fluent.startRun(opts);
}

/** The innermost active run, if any. */
export function activeRun(): ActiveRun | undefined {
  return fluent.activeRun();
}

/** Flushes and ends the active run with `status` (default FINISHED). */
export function endRun(status: RunStatus = "FINISHED"): Promise<void> {
  return fluent.endRun(status);
}

/** Runs `fn` in a new run that ends FINISHED, or FAILED when `fn` throws. */
export async function withRun<T>(
  opts: StartRunOptions,
  fn: (run: ActiveRun) => T | Promise<T>,
): Promise<T> {
  const run = await fluent.startRun(opts);
  let result: T;
  try {
    result = await fn(run);
  } catch (e) {
    await run.end("FAILED").catch(() => {});
    throw e;
  }
  await run.end("FINISHED");
  return result;
}

/** Sends everything logged so far; throws when something was refused or could not be sent. */
export function flush(): Promise<void> {
  return fluent.flushAll();
}

// Logging calls are synchronous (queued), so they need a started run; MLflow starts one itself.
function active(): ActiveRun {
  const run = fluent.activeRun();
  if (run) return run;
  throw new MltError("INVALID_STATE", "No active run: call `await startRun()` first");
}

/** Logs a param to the active run (sent in the background; a changed value throws now). */
export function logParam(key: string, value: string | number | boolean): void {
  active().logParam(key, value);
}

/** Logs params to the active run. */
export function logParams(params: KeyValues): void {
  active().logParams(params);
}

/** Logs a metric point to the active run; `opts` is the step, or `{step, timestamp}`. */
export function logMetric(key: string, value: number, opts?: MetricOptions): void {
  active().logMetric(key, value, opts);
}

/** Logs metrics at one step to the active run. */
export function logMetrics(metrics: Record<string, number>, opts?: MetricOptions): void {
  active().logMetrics(metrics, opts);
}

/** Sets a tag on the active run. */
export function setTag(key: string, value: string | number | boolean): void {
  active().setTag(key, value);
}

/** Sets tags on the active run. */
export function setTags(tags: KeyValues): void {
  active().setTags(tags);
}

/** Logs a local file as an artifact of the active run. */
export function logArtifact(localPath: string, artifactPath?: string): Promise<void> {
  return active().logArtifact(localPath, artifactPath);
}

/** Logs a local directory's contents as artifacts of the active run. */
export function logArtifacts(localDir: string, artifactPath?: string): Promise<void> {
  return active().logArtifacts(localDir, artifactPath);
}

/** Writes text as an artifact file of the active run. */
export function logText(text: string, artifactFile: string): Promise<void> {
  return active().logText(text, artifactFile);
}

/** Writes a dict as JSON (YAML for `.yaml`/`.yml`) into an artifact file of the active run. */
export function logDict(dict: unknown, artifactFile: string): Promise<void> {
  return active().logDict(dict, artifactFile);
}
