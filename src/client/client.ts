/**
 * The explicit client: MLflow's `MlflowClient` methods (camelCase) over any TrackingStore —
 * a file store, SQLite, or an http(s) server — plus run artifacts. Unbuffered: every call is
 * one store call (logBatch is split within MLflow's limits). Knows stores only through
 * TrackingStore and store/open.ts; reads no environment (mod.ts does).
 */
import { MltError } from "../errors.ts";
import type {
  DatasetInput,
  Experiment,
  Metric,
  Page,
  Run,
  RunInfo,
  RunStatus,
  Tag,
  ViewType,
} from "../model.ts";
import {
  type ArtifactEntry,
  type ArtifactRepo,
  downloadPath,
  openArtifactRepo,
  uploadPath,
} from "../store/artifacts.ts";
import { openStore } from "../store/open.ts";
import type { HttpStoreOptions, LogBatch, TrackingStore } from "../store/store.ts";
import { chunkBatch } from "./batcher.ts";

/** Where a client logs to. */
export interface ClientOptions {
  /** Tracking URI: a path, `file:`, `sqlite:` or `http(s):` (default `./mlruns`). */
  trackingUri?: string;
  /** An already opened store (then `trackingUri` only labels it). */
  store?: TrackingStore;
  /** Credentials and retries for http(s) servers. */
  http?: HttpStoreOptions;
}

/** Key/value pairs as users pass them. */
export type KeyValues = Record<string, string | number | boolean>;

/** Turns `{k: v}` into tags or params with string values. */
export function toTags(kv: KeyValues | undefined): Tag[] {
  return Object.entries(kv ?? {}).map(([key, value]) => ({ key, value: String(value) }));
}

/** Search options of `searchExperiments`. */
export interface SearchExperimentsOptions {
  filterString?: string;
  viewType?: ViewType;
  maxResults?: number;
  orderBy?: string[];
  pageToken?: string;
}

/** Search options of `searchRuns`. */
export interface SearchRunsOptions {
  filterString?: string;
  runViewType?: ViewType;
  maxResults?: number;
  orderBy?: string[];
  pageToken?: string;
}

/** MLflow's MlflowClient over one store. */
export class TrackingClient {
  /** The tracking URI this client logs to. */
  readonly trackingUri: string;
  /** The store behind it. */
  readonly store: TrackingStore;
  #http?: HttpStoreOptions;
  #repos = new Map<string, ArtifactRepo>();

  constructor(opts: ClientOptions = {}) {
    this.store = opts.store ?? openStore(opts.trackingUri, { http: opts.http });
    this.trackingUri = opts.trackingUri ?? this.store.uri;
    this.#http = opts.http;
  }

  /** Creates an experiment; returns its id. */
  createExperiment(
    name: string,
    opts: { artifactLocation?: string; tags?: KeyValues } = {},
  ): Promise<string> {
    return this.store.createExperiment(name, opts.artifactLocation, toTags(opts.tags));
  }

  /** Gets an experiment by id. */
  getExperiment(experimentId: string): Promise<Experiment> {
    return this.store.getExperiment(experimentId);
  }

  /** Gets an experiment by name, or undefined. */
  getExperimentByName(name: string): Promise<Experiment | undefined> {
    return this.store.getExperimentByName(name);
  }

  /** Searches experiments (one page). */
  searchExperiments(opts: SearchExperimentsOptions = {}): Promise<Page<Experiment>> {
    return this.store.searchExperiments({
      filter: opts.filterString,
      viewType: opts.viewType,
      maxResults: opts.maxResults,
      orderBy: opts.orderBy,
      pageToken: opts.pageToken,
    });
  }

  /** Renames an experiment. */
  renameExperiment(experimentId: string, newName: string): Promise<void> {
    return this.store.renameExperiment(experimentId, newName);
  }

  /** Marks an experiment (and its runs) deleted. */
  deleteExperiment(experimentId: string): Promise<void> {
    return this.store.deleteExperiment(experimentId);
  }

  /** Restores a deleted experiment. */
  restoreExperiment(experimentId: string): Promise<void> {
    return this.store.restoreExperiment(experimentId);
  }

  /** Sets an experiment tag. */
  setExperimentTag(experimentId: string, key: string, value: string): Promise<void> {
    return this.store.setExperimentTag(experimentId, { key, value: String(value) });
  }

  /** Creates a run in an experiment. */
  createRun(
    experimentId: string,
    opts: { startTime?: number; tags?: KeyValues; runName?: string; userId?: string } = {},
  ): Promise<Run> {
    return this.store.createRun({
      experimentId,
      startTime: opts.startTime ?? Date.now(),
      tags: toTags(opts.tags),
      runName: opts.runName,
      userId: opts.userId,
    });
  }

  /** Gets a run with its latest metrics, params and tags. */
  getRun(runId: string): Promise<Run> {
    return this.store.getRun(runId);
  }

  /** Updates a run's status and/or name. */
  updateRun(runId: string, opts: { status?: RunStatus; name?: string }): Promise<RunInfo> {
    return this.store.updateRun({ runId, status: opts.status, runName: opts.name });
  }

  /** Ends a run with `status` (default FINISHED) at `endTime` (default now). */
  async setTerminated(
    runId: string,
    status: RunStatus = "FINISHED",
    endTime: number = Date.now(),
  ): Promise<void> {
    await this.store.updateRun({ runId, status, endTime });
  }

  /** Marks a run deleted. */
  deleteRun(runId: string): Promise<void> {
    return this.store.deleteRun(runId);
  }

  /** Restores a deleted run. */
  restoreRun(runId: string): Promise<void> {
    return this.store.restoreRun(runId);
  }

  /** Searches runs of experiments (one page). */
  searchRuns(experimentIds: string[], opts: SearchRunsOptions = {}): Promise<Page<Run>> {
    return this.store.searchRuns({
      experimentIds,
      filter: opts.filterString,
      viewType: opts.runViewType,
      maxResults: opts.maxResults,
      orderBy: opts.orderBy,
      pageToken: opts.pageToken,
    });
  }

  /** Logs one metric point (MLflow's argument order: timestamp, then step). */
  logMetric(
    runId: string,
    key: string,
    value: number,
    timestamp: number = Date.now(),
    step = 0,
  ): Promise<void> {
    return this.store.logMetric(runId, { key, value, timestamp, step });
  }

  /** Logs a param (immutable once logged). */
  logParam(runId: string, key: string, value: string | number | boolean): Promise<void> {
    return this.store.logParam(runId, { key, value: String(value) });
  }

  /** Sets a run tag. */
  setTag(runId: string, key: string, value: string | number | boolean): Promise<void> {
    return this.store.setTag(runId, { key, value: String(value) });
  }

  /** Deletes a run tag. */
  deleteTag(runId: string, key: string): Promise<void> {
    return this.store.deleteTag(runId, key);
  }

  /** Logs metrics, params and tags, in as many batches as MLflow's limits need. */
  async logBatch(runId: string, batch: LogBatch): Promise<void> {
    for (const b of chunkBatch(batch)) await this.store.logBatch(runId, b);
  }

  /** Attaches datasets to a run. */
  logInputs(runId: string, datasets: DatasetInput[]): Promise<void> {
    return this.store.logInputs(runId, datasets);
  }

  /** Every point of one metric, in logging order. */
  async getMetricHistory(runId: string, key: string): Promise<Metric[]> {
    return (await this.store.getMetricHistory(runId, key)).items;
  }

  /** The artifact repository of a run. */
  async artifactRepo(runId: string): Promise<ArtifactRepo> {
    let repo = this.#repos.get(runId);
    if (!repo) {
      const uri = (await this.store.getRun(runId)).info.artifactUri;
      if (!uri) throw new MltError("INVALID_STATE", `Run ${runId} has no artifact location`);
      repo = openArtifactRepo(uri, { trackingUri: this.trackingUri, http: this.#http, runId });
      this.#repos.set(runId, repo);
    }
    return repo;
  }

  /** Entries directly under `path` of a run's artifacts. */
  async listArtifacts(runId: string, path = ""): Promise<ArtifactEntry[]> {
    return await (await this.artifactRepo(runId)).list(path);
  }

  /** Downloads a run's artifact file or directory into `dstPath`; returns the local path. */
  async downloadArtifacts(runId: string, path: string, dstPath: string): Promise<string> {
    return await downloadPath(await this.artifactRepo(runId), path, dstPath);
  }

  /** Logs a local file as `artifactPath/<its name>`. */
  async logArtifact(runId: string, localPath: string, artifactPath?: string): Promise<void> {
    const st = await Deno.stat(localPath).catch(() => undefined);
    if (st?.isDirectory) {
      throw new MltError(
        "INVALID_PARAMETER_VALUE",
        `Cannot log "${localPath}" with logArtifact: it is a directory; use logArtifacts`,
      );
    }
    await uploadPath(await this.artifactRepo(runId), localPath, artifactPath);
  }

  /** Logs a local directory's contents under `artifactPath`. */
  async logArtifacts(runId: string, localDir: string, artifactPath?: string): Promise<void> {
    await uploadPath(await this.artifactRepo(runId), localDir, artifactPath);
  }

  /** Writes `text` as the artifact file `artifactFile`. */
  async logText(runId: string, text: string, artifactFile: string): Promise<void> {
    await (await this.artifactRepo(runId)).write(artifactFile, new TextEncoder().encode(text));
  }

  /** Writes `dict` as JSON (or YAML for `.yaml`/`.yml`) into the artifact file `artifactFile`. */
  async logDict(runId: string, dict: unknown, artifactFile: string): Promise<void> {
    let text: string;
    if (/\.ya?ml$/i.test(artifactFile)) {
      const { dump } = await import("js-yaml");
      text = dump(dict, { lineWidth: -1 });
    } else text = JSON.stringify(dict, null, 2);
    await this.logText(runId, text, artifactFile);
  }

  /** Releases the store. */
  close(): Promise<void> {
    return this.store.close();
  }
}
