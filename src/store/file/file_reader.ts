/**
 * The read side of the file store: finds experiments and runs in the tree and reads them through
 * the cache. Listings skip broken entries with one warning each; direct gets throw an MltError
 * naming the store-relative path. Nothing here writes.
 */
import { dirname, join } from "node:path";
import { MltError, notFound } from "../../errors.ts";
import type { DatasetInput, Experiment, Metric, Run, RunInfo, Tag, ViewType } from "../../model.ts";
import { TAG } from "../../model.ts";
import { validateExperimentId, validateKey, validateRunId } from "../../validate.ts";
import { holdsOnlyArtifacts } from "./artifact_tree.ts";
import { FileCache } from "./file_cache.ts";
import { RunOrderIndex } from "./run_order.ts";
import { detached, readText, sig } from "./file_io.ts";
import { HistoryPages } from "./history_pages.ts";
import type { PendingDefault } from "./pending_default.ts";
import { readModelInputs, readModelOutputs } from "./file_model_links.ts";
import {
  datasetFromMeta,
  experimentFromMeta,
  inputFromMeta,
  type OnBadLine,
  parseMetricText,
  parseYamlMapping,
  runFromMeta,
} from "./format.ts";
import {
  datasetDir,
  experimentDir,
  experimentTagPath,
  isExperimentDirName,
  isRunDirName,
  metaPath,
  RESERVED_ROOT_DIRS,
  type RunFileKind,
  runFilePath,
  storeRelative,
  TRASH_DIR,
} from "./layout.ts";

/** Where an experiment lives. */
export interface ExperimentLoc {
  id: string;
  dir: string;
  deleted: boolean;
}

/** Where a run lives. */
export interface RunLoc {
  runId: string;
  expId: string;
  expDir: string;
  dir: string;
}

// Turns a meta.yaml text into a mapping, or throws an Error describing what is wrong with it.
function metaMapping(text: string): Record<string, unknown> {
  if (text.trim() === "") throw new Error("is empty");
  const m = parseYamlMapping(text);
  if (!m) throw new Error("is not a valid YAML mapping");
  return m;
}

function parseExperiment(text: string): Experiment {
  return experimentFromMeta(metaMapping(text));
}

// Cached for every run: its strings must not keep the file's text alive (detached()).
function parseRun(text: string): RunInfo {
  const info = runFromMeta(metaMapping(text));
  info.runId = detached(info.runId);
  info.experimentId = detached(info.experimentId);
  if (info.runName !== undefined) info.runName = detached(info.runName);
  info.userId = detached(info.userId);
  info.artifactUri = detached(info.artifactUri);
  return info;
}

function textValue(text: string): string {
  return text;
}

/** Reads entities of one mlruns root through a FileCache. */
export class FileReader {
  readonly root: string;
  readonly cache: FileCache;
  /** Runs in start_time / run_id order, for searches that need nothing else. */
  readonly order: RunOrderIndex = new RunOrderIndex(this);
  #warn: (message: string) => void;
  #warned = new Set<string>();
  #badFiles = new Set<string>();
  #runIndex = new Map<string, RunLoc>();
  #history = new HistoryPages();
  #default?: PendingDefault;

  /** `pendingDefault`: the Default experiment listed until the first write creates it. */
  constructor(
    root: string,
    cache: FileCache,
    warn: (message: string) => void,
    pendingDefault?: PendingDefault,
  ) {
    this.root = root;
    this.cache = cache;
    this.#warn = warn;
    cache.onOdd = (path, kind) =>
      this.warnOnce(
        kind === "lossy"
          ? `Reading "${this.rel(path)}": it is not valid UTF-8; bad bytes read as U+FFFD.`
          : `Skipping "${this.rel(path)}": not a regular file.`,
      );
    this.#default = pendingDefault;
  }

  /** A path relative to the root, for messages. */
  rel(path: string): string {
    return storeRelative(this.root, path);
  }

  /** Warns once per distinct message for the life of the store. */
  warnOnce(message: string): void {
    if (this.#warned.has(message)) return;
    this.#warned.add(message);
    this.#warn(message);
  }

  // An error for a broken entity, naming the file, and one warning about it. Not a 500: the
  // Python client retries those for minutes, and a damaged file does not heal by waiting.
  #broken(what: string, path: string, e: unknown): MltError {
    const detail = e instanceof Error ? e.message : String(e);
    const message = `Cannot read ${what}: "${this.rel(path)}" ${detail}`;
    if (!beingCreated(dirname(path))) this.warnOnce(`Skipping malformed ${message}`);
    return new MltError("RESOURCE_DOES_NOT_EXIST", message, { cause: e });
  }

  /** Experiments of the given view, as folder locations (not yet read). */
  experimentLocs(view: ViewType = "ALL"): ExperimentLoc[] {
    const out: ExperimentLoc[] = [];
    const scan = (parent: string, deleted: boolean) => {
      for (const e of this.cache.dir(parent)) {
        if (!deleted && RESERVED_ROOT_DIRS.has(e.name)) continue;
        if (e.isFile || e.name.startsWith(".")) continue;
        const path = join(parent, e.name);
        if (e.isSymlink) {
          this.warnOnce(`Skipping "${this.rel(path)}": symlinks in the store are not followed.`);
        } else if (!isExperimentDirName(e.name)) {
          this.warnOnce(`Skipping "${this.rel(path)}": not an experiment folder name.`);
        } else if (e.isDirectory) out.push({ id: e.name, dir: path, deleted });
      }
    };
    if (view !== "DELETED_ONLY") scan(this.root, false);
    if (view !== "ACTIVE_ONLY") scan(join(this.root, TRASH_DIR), true);
    if (view !== "DELETED_ONLY" && this.#default?.pending) out.push(this.#default.loc);
    return out;
  }

  /** Where experiment `id` is (active first, then `.trash`), or undefined. */
  findExperiment(id: string): ExperimentLoc | undefined {
    validateExperimentId(id);
    for (const deleted of [false, true]) {
      const dir = experimentDir(this.root, id, deleted);
      if (isRealDir(dir)) return { id, dir, deleted };
    }
    return id === this.#default?.loc.id && this.#default.pending ? this.#default.loc : undefined;
  }

  /** Reads an experiment; RESOURCE_DOES_NOT_EXIST naming the file when it is broken. */
  readExperiment(loc: ExperimentLoc): Experiment {
    const d = this.#default;
    if (d && loc.id === d.loc.id && !loc.deleted && d.pending) return d.experiment;
    const path = metaPath(loc.dir);
    let exp: Experiment | undefined;
    try {
      exp = this.cache.file(path, parseExperiment);
    } catch (e) {
      throw this.#broken(`experiment '${loc.id}'`, path, e);
    }
    if (!exp) {
      // MLflow 3's SQLite layout: a folder of run artifacts, not a broken experiment (no warning).
      if (holdsOnlyArtifacts(loc.dir)) {
        throw notFound(
          `Could not find experiment with ID ${loc.id}: "${this.rel(loc.dir)}" holds only run ` +
            "artifacts (MLflow 3 keeps those runs in a SQLite database such as ./mlflow.db)",
        );
      }
      throw this.#broken(`experiment '${loc.id}'`, path, new Error("is missing"));
    }
    if (exp.experimentId !== loc.id) {
      throw this.#broken(
        `experiment '${loc.id}'`,
        path,
        new Error(`records experiment_id '${exp.experimentId}', not the folder's id`),
      );
    }
    return { ...exp, tags: this.experimentTags(loc.dir) };
  }

  /** Reads an experiment for a listing: undefined (with one warning) when broken. */
  tryExperiment(loc: ExperimentLoc): Experiment | undefined {
    try {
      return this.readExperiment(loc);
    } catch (e) {
      // #broken has warned already (unless the experiment is being created right now).
      if (!(e instanceof MltError) && !beingCreated(loc.dir)) {
        this.warnOnce(`Skipping malformed experiment: ${(e as Error).message}`);
      }
      return undefined;
    }
  }

  /** Gets an experiment by id; RESOURCE_DOES_NOT_EXIST when absent. */
  experiment(id: string): Experiment {
    const loc = this.findExperiment(id);
    if (!loc) throw notFound(`Could not find experiment with ID ${id}`);
    return this.readExperiment(loc);
  }

  /** Tags of an experiment, from its `tags/` files. */
  experimentTags(expDir: string): Tag[] {
    const tagsDir = join(expDir, "tags");
    return this.cache.walk(tagsDir).map((key) => ({
      key,
      value: this.cache.file(experimentTagPath(expDir, key), textValue) ?? "",
    }));
  }

  /** Locations of the runs of one experiment folder. */
  runLocs(exp: ExperimentLoc): RunLoc[] {
    const out: RunLoc[] = [];
    for (const e of this.cache.dir(exp.dir)) {
      if (!isRunDirName(e.name)) continue;
      if (e.isSymlink) {
        this.warnOnce(
          `Skipping "${this.rel(join(exp.dir, e.name))}": symlinks in the store are not followed.`,
        );
      } else if (e.isDirectory) {
        // The known loc is reused: the run-order index keeps these, one per run, not one per listing.
        const known = this.#runIndex.get(e.name);
        const loc = known?.expDir === exp.dir && known.expId === exp.id
          ? known
          : { runId: e.name, expId: exp.id, expDir: exp.dir, dir: join(exp.dir, e.name) };
        this.#runIndex.set(e.name, loc);
        out.push(loc);
      }
    }
    return out;
  }

  /** Finds a run in any experiment, active or deleted; RESOURCE_DOES_NOT_EXIST when absent. */
  findRun(runId: string): RunLoc {
    validateRunId(runId);
    const known = this.#runIndex.get(runId);
    if (known && isRealDir(known.dir)) return known;
    this.#runIndex.delete(runId);
    for (const exp of this.experimentLocs("ALL")) {
      const dir = join(exp.dir, runId);
      if (isRunDirName(runId) && isRealDir(dir)) {
        const loc = { runId, expId: exp.id, expDir: exp.dir, dir };
        this.#runIndex.set(runId, loc);
        return loc;
      }
    }
    throw notFound(`Run '${runId}' not found`);
  }

  /** Reads a run's meta.yaml; RESOURCE_DOES_NOT_EXIST naming the file when broken or misplaced. */
  runInfo(loc: RunLoc): RunInfo {
    const path = metaPath(loc.dir);
    const what = `run '${loc.runId}'`;
    let info: RunInfo | undefined;
    try {
      info = this.cache.file(path, parseRun);
    } catch (e) {
      throw this.#broken(what, path, e);
    }
    if (!info) throw this.#broken(what, path, new Error("is missing"));
    if (info.experimentId !== loc.expId || info.runId !== loc.runId) {
      throw this.#broken(
        what,
        path,
        new Error(
          `records run_id '${info.runId}' in experiment '${info.experimentId}', ` +
            "which does not match its folder",
        ),
      );
    }
    if (info.runName === undefined) {
      const name = this.runFile(loc, "tags", TAG.runName);
      if (name) return { ...info, runName: name };
    }
    return info;
  }

  /** Reads a run's info for a listing: undefined (with one warning) when broken. */
  tryRunInfo(loc: RunLoc): RunInfo | undefined {
    try {
      return this.runInfo(loc);
    } catch (e) {
      // #broken has warned already (unless the run is being created right now).
      if (!(e instanceof MltError) && !beingCreated(loc.dir)) {
        this.warnOnce(`Skipping malformed run: ${(e as Error).message}`);
      }
      return undefined;
    }
  }

  /** Keys of a run's metrics, params or tags (shared: do not change the array). */
  runKeys(loc: RunLoc, kind: RunFileKind): readonly string[] {
    return this.cache.walk(join(loc.dir, kind));
  }

  /** The value of one param or tag file, or undefined. */
  runFile(loc: RunLoc, kind: "params" | "tags", key: string): string | undefined {
    // A key from a search filter may be anything; one that is not a valid name cannot exist.
    if (!isValidKey(key)) return undefined;
    const path = keyPath(loc.dir, kind, key);
    // Params are written once, so a complete cached value stays right without a stat.
    return kind === "params"
      ? this.cache.immutable(path, textValue)
      : this.cache.file(path, textValue);
  }

  /**
   * A param's value, and whether it is final: written, and old enough that the file is complete
   * (params never change once written, so a final value is never read again by the run index).
   */
  paramState(loc: RunLoc, key: string): { value: string | undefined; final: boolean } {
    if (!isValidKey(key)) return { value: undefined, final: true };
    const path = keyPath(loc.dir, "params", key);
    const value = this.cache.immutable(path, textValue);
    return { value, final: value !== undefined && this.cache.isTrusted(path) };
  }

  // Reports the malformed lines of one metric file: one warning per file, naming it.
  #badLines(path: string): OnBadLine {
    return (e) => {
      if (this.#badFiles.has(path)) return;
      if (this.#badFiles.size >= 10_000) this.#badFiles.clear();
      this.#badFiles.add(path);
      this.#warn(`Skipping malformed lines of "${this.rel(path)}": ${e.message}`);
    };
  }

  /** The latest point of one metric, or undefined; malformed lines are skipped with a warning. */
  latestMetric(loc: RunLoc, key: string): Metric | undefined {
    if (!isValidKey(key)) return undefined;
    const path = keyPath(loc.dir, "metrics", key);
    return this.cache.latestMetric(path, key, this.#badLines(path));
  }

  /** Every point of one metric in file order (complete, well-formed lines only). */
  metricHistory(loc: RunLoc, key: string): Metric[] {
    validateKey(key, "Metric name");
    const path = runFilePath(loc.dir, "metrics", key);
    const s = sig(path);
    if (!s || !s.isFile) {
      if (s) this.warnOnce(`Skipping "${this.rel(path)}": not a regular file.`);
      return [];
    }
    const text = readText(path);
    return text === undefined ? [] : parseMetricText(key, text, this.#badLines(path));
  }

  /**
   * Points [offset, offset + max) of one metric in file order, and whether more follow. Reads from
   * where an earlier page of the same file ended (metric files only grow), so walking a long
   * history page by page reads each byte about once instead of once per page.
   */
  metricHistoryPage(
    loc: RunLoc,
    key: string,
    offset: number,
    max: number,
  ): { items: Metric[]; more: boolean } {
    validateKey(key, "Metric name");
    const path = runFilePath(loc.dir, "metrics", key);
    return this.#history.page(path, key, offset, max, this.#badLines(path));
  }

  /** The dataset inputs of a run. */
  inputs(loc: RunLoc): DatasetInput[] {
    const out: DatasetInput[] = [];
    const inputsDir = join(loc.dir, "inputs");
    for (const e of [...this.cache.dir(inputsDir)].sort((a, b) => a.name < b.name ? -1 : 1)) {
      if (!e.isDirectory) continue;
      const path = metaPath(join(inputsDir, e.name));
      try {
        const input = this.cache.file(path, (t) => inputFromMeta(metaMapping(t)));
        if (!input || input.sourceType !== "DATASET") continue;
        const dsPath = metaPath(datasetDir(loc.expDir, input.sourceId));
        const dataset = this.cache.file(dsPath, (t) => datasetFromMeta(metaMapping(t)));
        if (dataset) out.push({ tags: input.tags, dataset });
        else this.warnOnce(`Skipping input "${this.rel(path)}": its dataset is missing.`);
      } catch (e) {
        this.warnOnce(`Skipping malformed input "${this.rel(path)}": ${(e as Error).message}`);
      }
    }
    return out;
  }

  /** A whole run: latest metrics (with their run id, as MLflow's FileStore), params, tags, inputs. */
  fullRun(loc: RunLoc, info: RunInfo): Run {
    const metrics: Metric[] = [];
    for (const key of this.runKeys(loc, "metrics")) {
      const m = this.latestMetric(loc, key);
      if (m) metrics.push({ ...m, runId: loc.runId });
    }
    const kv = (kind: "params" | "tags") =>
      this.runKeys(loc, kind).map((key) => ({ key, value: this.runFile(loc, kind, key) ?? "" }));
    const warn = (path: string, e: Error) =>
      this.warnOnce(`Skipping malformed input or output "${this.rel(path)}": ${e.message}`);
    return {
      info,
      data: { metrics, params: kv("params"), tags: kv("tags") },
      inputs: {
        datasetInputs: this.inputs(loc),
        modelInputs: readModelInputs(this.cache, loc.dir, warn),
      },
      outputs: { modelOutputs: readModelOutputs(this.cache, loc.dir, warn) },
    };
  }
}

function isRealDir(path: string): boolean {
  try {
    return Deno.lstatSync(path).isDirectory;
  } catch {
    return false;
  }
}

// A folder without meta.yaml made in the last seconds is most likely being created right now
// by another process (mkdir, then write meta.yaml): skip it without a warning.
function beingCreated(dir: string): boolean {
  try {
    Deno.lstatSync(join(dir, "meta.yaml"));
    return false;
  } catch {
    try {
      return Date.now() - (Deno.lstatSync(dir).mtime?.getTime() ?? 0) < 2000;
    } catch {
      return true;
    }
  }
}

// Keys repeat across runs (every run has the same params): remember the verdicts, boundedly.
const keyVerdicts = new Map<string, boolean>();

/** True when `key` is a valid metric, param or tag key (verdicts remembered). */
export function isValidKey(key: string): boolean {
  let ok = keyVerdicts.get(key);
  if (ok === undefined) {
    try {
      validateKey(key);
      ok = true;
    } catch {
      ok = false;
    }
    if (keyVerdicts.size >= 100_000) keyVerdicts.clear();
    keyVerdicts.set(key, ok);
  }
  return ok;
}

// runFilePath for a key that passed isValidKey: such a key is already a normalised relative POSIX
// path, so plain concatenation gives the same string as path.join, without its cost.
/** runFilePath() of a key that passed isValidKey(), without path.join's cost. */
export function keyPath(runDir: string, kind: RunFileKind, key: string): string {
  return `${runDir}/${kind}/${key}`;
}
