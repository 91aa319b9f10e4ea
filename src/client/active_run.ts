/**
 * One run being logged to: buffered params, metrics and tags (batcher.ts), direct artifact
 * writes, and its end. `await using run = await startRun()` ends it when the scope ends.
 */
import type { RunInfo, RunStatus } from "../model.ts";
import { Batcher } from "./batcher.ts";
import type { KeyValues, TrackingClient } from "./client.ts";

/** When a metric point was taken: a step number, or step and timestamp (ms). */
export type MetricOptions = number | { step?: number; timestamp?: number };

function stepAndTime(opts: MetricOptions | undefined): { step: number; timestamp: number } {
  if (typeof opts === "number") return { step: opts, timestamp: Date.now() };
  return { step: opts?.step ?? 0, timestamp: opts?.timestamp ?? Date.now() };
}

/** A started or resumed run. */
export class ActiveRun {
  /** The run's id. */
  readonly runId: string;
  /** Its experiment. */
  readonly experimentId: string;
  /** Its info when it was started (status and end time change on `end()`). */
  info: RunInfo;
  /** True once `end()` succeeded. */
  ended = false;
  readonly #client: TrackingClient;
  readonly #batcher: Batcher;
  readonly #onEnd: (run: ActiveRun) => void;

  constructor(
    client: TrackingClient,
    info: RunInfo,
    intervalMs: number,
    onEnd: (run: ActiveRun) => void,
  ) {
    this.#client = client;
    this.info = info;
    this.runId = info.runId;
    this.experimentId = info.experimentId;
    this.#batcher = new Batcher(client.store, info.runId, { intervalMs });
    this.#onEnd = onEnd;
  }

  /** The send queue (for exit reports). */
  get batcher(): Batcher {
    return this.#batcher;
  }

  /** Logs a param (sent with the next batch; a changed value is refused now). */
  logParam(key: string, value: string | number | boolean): void {
    this.#batcher.addParam({ key, value: String(value) });
  }

  /** Logs several params. */
  logParams(params: KeyValues): void {
    for (const [k, v] of Object.entries(params)) this.logParam(k, v);
  }

  /** Logs a metric point; `opts` is the step, or `{step, timestamp}`. */
  logMetric(key: string, value: number, opts?: MetricOptions): void {
    this.#batcher.addMetric({ key, value, ...stepAndTime(opts) });
  }

  /** Logs several metrics at the same step and time. */
  logMetrics(metrics: Record<string, number>, opts?: MetricOptions): void {
    const at = stepAndTime(opts);
    for (const [key, value] of Object.entries(metrics)) {
      this.#batcher.addMetric({ key, value, ...at });
    }
  }

  /** Sets a tag. */
  setTag(key: string, value: string | number | boolean): void {
    this.#batcher.addTag({ key, value: String(value) });
  }

  /** Sets several tags. */
  setTags(tags: KeyValues): void {
    for (const [k, v] of Object.entries(tags)) this.setTag(k, v);
  }

  /** Logs a local file as `artifactPath/<its name>`. */
  logArtifact(localPath: string, artifactPath?: string): Promise<void> {
    return this.#client.logArtifact(this.runId, localPath, artifactPath);
  }

  /** Logs a local directory's contents under `artifactPath`. */
  logArtifacts(localDir: string, artifactPath?: string): Promise<void> {
    return this.#client.logArtifacts(this.runId, localDir, artifactPath);
  }

  /** Writes `text` as the artifact file `artifactFile`. */
  logText(text: string, artifactFile: string): Promise<void> {
    return this.#client.logText(this.runId, text, artifactFile);
  }

  /** Writes `dict` as JSON (YAML for `.yaml`/`.yml`) into the artifact file `artifactFile`. */
  logDict(dict: unknown, artifactFile: string): Promise<void> {
    return this.#client.logDict(this.runId, dict, artifactFile);
  }

  /** Sends everything logged so far; throws when something was refused or could not be sent. */
  flush(): Promise<void> {
    return this.#batcher.flush();
  }

  /**
   * Flushes, then ends the run with `status`. A failed flush throws and leaves the run active,
   * with what could not be sent still queued, so `end()` can be called again.
   */
  async end(status: RunStatus = "FINISHED"): Promise<void> {
    if (this.ended) return;
    await this.#batcher.flush();
    await this.#client.setTerminated(this.runId, status);
    this.#batcher.close();
    this.ended = true;
    this.info = { ...this.info, status };
    this.#onEnd(this);
  }

  /** Ends the run with `status` without sending what is queued (best effort, never throws). */
  async abandon(status: RunStatus): Promise<void> {
    this.#batcher.close();
    await this.#client.setTerminated(this.runId, status).catch(() => {});
    this.info = { ...this.info, status };
    this.#onEnd(this);
  }

  /** Ends the run FINISHED when an `await using` scope ends. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.end();
  }
}
