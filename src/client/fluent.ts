/**
 * The fluent API's state: the tracking URI, the current experiment and the stack of active runs,
 * in the spirit of `mlflow.start_run()`. Resumes MLFLOW_RUN_ID (set by `mlt run`), picks the
 * experiment from arguments, setExperiment(), MLFLOW_EXPERIMENT_NAME or MLFLOW_EXPERIMENT_ID, and
 * at process exit flushes and ends what is still open, reporting anything unsent on stderr.
 */
import { fileURLToPath } from "node:url";
import { MltError } from "../errors.ts";
import {
  DEFAULT_EXPERIMENT_ID,
  type Experiment,
  type RunInfo,
  type RunStatus,
  TAG,
  type Tag,
} from "../model.ts";
import { defaultStore } from "../store/default_uri.ts";
import { httpOptionsFromEnv } from "../store/store.ts";
import { ActiveRun } from "./active_run.ts";
import { type KeyValues, toTags, TrackingClient } from "./client.ts";

/** Options of `startRun`. */
export interface StartRunOptions {
  /** Resume this run instead of creating one (default: MLFLOW_RUN_ID for a top-level run). */
  runId?: string;
  experimentId?: string;
  /** Experiment by name; created when it does not exist. */
  experimentName?: string;
  runName?: string;
  tags?: KeyValues;
  /** The run's description (tag `mlflow.note.content`). */
  description?: string;
  /** Start a child of the active run (tag `mlflow.parentRunId`). */
  nested?: boolean;
}

/** What the fluent API reads from its surroundings. */
export interface FluentOptions {
  /** Reads an environment variable. */
  env: (name: string) => string | undefined;
  /** Background send interval of each run's batcher, in ms. */
  intervalMs?: number;
  /** Where exit reports go (default console.error). */
  report?: (line: string) => void;
  /** The script's path for `mlflow.source.name`. */
  sourceName?: string;
}

/** The fluent API's state. */
export class Fluent {
  #opts: FluentOptions;
  #trackingUri?: string;
  #experiment?: { id: string };
  #client?: TrackingClient;
  #stack: ActiveRun[] = [];
  #open = new Set<ActiveRun>();
  // Runs whose data could not be sent at exit: reported once more when the process ends.
  #lost: ActiveRun[] = [];
  #hooks = false;
  #reported = false;
  #envRunUsed = false;

  constructor(opts: FluentOptions) {
    this.#opts = opts;
  }

  /** Logs to `uri` from now on. */
  setTrackingUri(uri: string): void {
    this.#trackingUri = uri;
    this.#client = undefined;
  }

  /**
   * The tracking URI: setTrackingUri(), else MLFLOW_TRACKING_URI, else what the working folder
   * holds, as every mlt command decides (store/default_uri.ts).
   */
  getTrackingUri(): string {
    return this.#trackingUri || this.#opts.env("MLFLOW_TRACKING_URI") ||
      defaultStore(Deno.cwd()).uri;
  }

  /** The client behind the fluent calls. */
  client(): TrackingClient {
    this.#client ??= new TrackingClient({
      trackingUri: this.getTrackingUri(),
      http: httpOptionsFromEnv(this.#opts.env),
    });
    return this.#client;
  }

  /** Makes an experiment current for new runs, by name (created if absent) or `{id}`. */
  async setExperiment(nameOrId: string | { id: string }): Promise<Experiment> {
    const exp = typeof nameOrId === "string"
      ? await this.#experimentByName(nameOrId)
      : await this.client().getExperiment(nameOrId.id);
    if (exp.lifecycleStage !== "active") {
      throw new MltError(
        "INVALID_STATE",
        `Cannot use experiment "${exp.name}" (id ${exp.experimentId}): it is deleted`,
      );
    }
    this.#experiment = { id: exp.experimentId };
    return exp;
  }

  async #experimentByName(name: string): Promise<Experiment> {
    const c = this.client();
    const found = await c.getExperimentByName(name);
    if (found) return found;
    try {
      return await c.getExperiment(await c.createExperiment(name));
    } catch (e) {
      // Another process created it in between.
      const again = await c.getExperimentByName(name);
      if (again) return again;
      throw e;
    }
  }

  async #experimentId(opts: StartRunOptions): Promise<string> {
    if (opts.experimentId) return opts.experimentId;
    if (opts.experimentName) return (await this.setExperiment(opts.experimentName)).experimentId;
    if (this.#experiment) return this.#experiment.id;
    const envName = this.#opts.env("MLFLOW_EXPERIMENT_NAME");
    if (envName) return (await this.#experimentByName(envName)).experimentId;
    return this.#opts.env("MLFLOW_EXPERIMENT_ID") || DEFAULT_EXPERIMENT_ID;
  }

  /** The innermost active run, if any. */
  activeRun(): ActiveRun | undefined {
    return this.#stack.at(-1);
  }

  /** Starts (or resumes) a run and makes it active. */
  async startRun(opts: StartRunOptions = {}): Promise<ActiveRun> {
    const parent = this.activeRun();
    if (parent && !opts.nested) {
      throw new MltError(
        "INVALID_STATE",
        `Run ${parent.runId} is already active; end it first, or pass nested: true`,
      );
    }
    const c = this.client();
    // MLFLOW_RUN_ID is resumed once: later top-level runs of the script are new runs.
    const envRun = parent || this.#envRunUsed ? undefined : this.#opts.env("MLFLOW_RUN_ID");
    const resumeId = opts.runId ?? envRun;
    const tags = toTags(opts.tags);
    if (opts.description !== undefined) tags.push({ key: TAG.note, value: opts.description });
    let info: RunInfo;
    if (resumeId) {
      const run = await c.getRun(resumeId);
      if (run.info.lifecycleStage !== "active") {
        throw new MltError("INVALID_STATE", `Cannot resume run ${resumeId}: it is deleted`);
      }
      if (opts.experimentId && opts.experimentId !== run.info.experimentId) {
        throw new MltError(
          "INVALID_PARAMETER_VALUE",
          `Cannot resume run ${resumeId} in experiment ${opts.experimentId}: it belongs to ` +
            `experiment ${run.info.experimentId}`,
        );
      }
      info = await c.store.updateRun({ runId: resumeId, status: "RUNNING", runName: opts.runName });
      if (resumeId === envRun) this.#envRunUsed = true;
    } else {
      const user = this.#user();
      const context: Tag[] = [
        { key: TAG.user, value: user },
        { key: TAG.sourceName, value: this.#opts.sourceName ?? sourceName() },
        { key: TAG.sourceType, value: "LOCAL" },
      ];
      if (parent) context.push({ key: TAG.parentRunId, value: parent.runId });
      const keys = new Set(tags.map((t) => t.key));
      const run = await c.store.createRun({
        experimentId: await this.#experimentId(opts),
        userId: user,
        runName: opts.runName,
        startTime: Date.now(),
        tags: [...context.filter((t) => !keys.has(t.key)), ...tags],
      });
      info = run.info;
      tags.length = 0; // already on the run
    }
    const run = new ActiveRun(c, info, this.#opts.intervalMs ?? 1000, (r) => this.#ended(r));
    for (const t of tags) run.setTag(t.key, t.value);
    this.#stack.push(run);
    this.#open.add(run);
    this.installExitHooks();
    return run;
  }

  #user(): string {
    const env = this.#opts.env;
    return env("LOGNAME") || env("USER") || env("USERNAME") || "unknown";
  }

  #ended(run: ActiveRun): void {
    this.#stack = this.#stack.filter((r) => r !== run);
    this.#open.delete(run);
  }

  /** Ends the active run (flushing it first); a no-op without one. */
  async endRun(status: RunStatus = "FINISHED"): Promise<void> {
    await this.activeRun()?.end(status);
  }

  /** Flushes every open run; throws the first failure after trying all. */
  async flushAll(): Promise<void> {
    let first: unknown;
    for (const r of this.#open) await r.flush().catch((e) => first ??= e);
    if (first) throw first;
  }

  /**
   * Ends open runs when the script's event loop runs dry (FINISHED; FAILED when their data
   * could not be sent or the script set a failing exit code) and reports on stderr whatever was not logged when the process exits.
   */
  installExitHooks(): void {
    if (this.#hooks) return;
    this.#hooks = true;
    let finishing = false;
    globalThis.addEventListener("beforeunload", (e) => {
      if (finishing || this.#open.size === 0) return;
      finishing = true;
      e.preventDefault(); // keeps the event loop alive for the sends below
      void this.#finishAll().finally(() => finishing = false);
    });
    const leftovers = () => this.#reportLeftovers();
    globalThis.addEventListener("unload", leftovers);
    globalThis.addEventListener("unhandledrejection", leftovers);
    globalThis.addEventListener("error", leftovers);
  }

  async #finishAll(): Promise<void> {
    // A script that set a failing exit code failed, whatever its runs say.
    const status = Deno.exitCode ? "FAILED" : "FINISHED";
    for (const run of [...this.#stack].reverse()) {
      try {
        await run.end(status);
      } catch (e) {
        this.#report(`run ${run.runId}: ${(e as Error).message}`);
        if (Deno.exitCode === 0) Deno.exitCode = 1;
        // The data is incomplete: say so in the run, and stop trying at exit.
        this.#lost.push(run);
        await run.abandon("FAILED");
      }
    }
  }

  #report(line: string): void {
    (this.#opts.report ?? console.error)(`mlt client: ${line}`);
  }

  #reportLeftovers(): void {
    if (this.#reported) return;
    this.#reported = true;
    for (const run of [...this.#open, ...this.#lost]) {
      const left = run.batcher.describePending();
      if (left) this.#report(`run ${run.runId}: ${left} were not logged`);
      if (this.#open.has(run)) this.#report(`run ${run.runId} was not ended by the script`);
    }
  }
}

function sourceName(): string {
  try {
    return Deno.mainModule.startsWith("file:") ? fileURLToPath(Deno.mainModule) : Deno.mainModule;
  } catch {
    return "<unknown>";
  }
}
