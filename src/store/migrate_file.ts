/**
 * `mlt migrate` into an mlruns tree: experiments and runs written in MLflow's FileStore layout with
 * their ids, times and states unchanged (deleted experiments under `.trash/`). A run's meta.yaml
 * is written last, so a run without it is an unfinished copy that the next migration redoes.
 * Never touches a run's `artifacts/` directory (artifact URIs may point into it).
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { Experiment, LoggedModel } from "../model.ts";
import type { ImportTarget, RunRecord } from "./migrate.ts";
import { writeAtomic, writeOnce } from "./file/file_io.ts";
import {
  datasetToYaml,
  experimentToYaml,
  inputToYaml,
  metricLine,
  runToYaml,
} from "./file/format.ts";
import {
  datasetDir,
  experimentDir,
  experimentTagPath,
  inputDir,
  loggedModelDir,
  metaPath,
  runFilePath,
  TRASH_DIR,
} from "./file/layout.ts";
import { loggedModelToYaml, modelMetricLine } from "./file/model_format.ts";
import { writeModelInputs, writeModelOutputs } from "./file/file_model_links.ts";

// MLflow's FileStore ids: md5(name + digest) for a dataset, md5(dataset id + run id) for an edge.
function md5(text: string): string {
  return createHash("md5").update(text, "utf8").digest("hex");
}

function isDir(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

function removeTree(path: string): void {
  try {
    Deno.removeSync(path, { recursive: true });
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
}

/** The file store's side of a migration, writing under `root`. */
export class FileImport implements ImportTarget {
  /** Metric files keep every line, duplicates included. */
  readonly mergesDuplicatePoints = false;

  constructor(readonly root: string) {}

  // The experiment's directory, moved between the root and .trash when its state changed.
  #expDir(exp: Experiment): string {
    const deleted = exp.lifecycleStage === "deleted";
    const dir = experimentDir(this.root, exp.experimentId, deleted);
    const other = experimentDir(this.root, exp.experimentId, !deleted);
    if (!isDir(dir) && isDir(other)) Deno.renameSync(other, dir);
    return dir;
  }

  putExperiment(exp: Experiment): Promise<void> {
    Deno.mkdirSync(join(this.root, TRASH_DIR), { recursive: true });
    const dir = this.#expDir(exp);
    Deno.mkdirSync(dir, { recursive: true });
    removeTree(join(dir, "tags"));
    for (const t of exp.tags) writeAtomic(experimentTagPath(dir, t.key), t.value, dir);
    writeAtomic(metaPath(dir), experimentToYaml(exp, false), dir);
    return Promise.resolve();
  }

  #findExpDir(experimentId: string): string {
    const active = experimentDir(this.root, experimentId, false);
    return isDir(active) ? active : experimentDir(this.root, experimentId, true);
  }

  async putRun(rec: RunRecord): Promise<void> {
    const i = rec.info;
    const expDir = this.#findExpDir(i.experimentId);
    const dir = join(expDir, i.runId);
    Deno.mkdirSync(join(dir, "artifacts"), { recursive: true });
    // An earlier, unfinished copy: drop its meta.yaml first, so it stays unfinished until the end.
    removeTree(metaPath(dir));
    for (const sub of ["metrics", "params", "tags", "inputs", "outputs"]) {
      removeTree(join(dir, sub));
    }
    for (const sub of ["metrics", "params", "tags"]) Deno.mkdirSync(join(dir, sub));
    const lines = new Map<string, string>();
    for (const m of rec.metrics) lines.set(m.key, (lines.get(m.key) ?? "") + metricLine(m));
    for (const [key, text] of lines) writeAtomic(runFilePath(dir, "metrics", key), text, dir);
    for (const p of rec.params) writeAtomic(runFilePath(dir, "params", p.key), p.value, dir);
    for (const t of rec.tags) writeAtomic(runFilePath(dir, "tags", t.key), t.value, dir);
    for (const input of rec.inputs) {
      const dsId = md5(input.dataset.name + input.dataset.digest);
      writeOnce(metaPath(datasetDir(expDir, dsId)), datasetToYaml(input.dataset), expDir);
      const edge = inputToYaml({
        sourceId: dsId,
        sourceType: "DATASET",
        destinationId: i.runId,
        destinationType: "RUN",
        tags: input.tags,
      });
      writeAtomic(metaPath(inputDir(dir, md5(dsId + i.runId))), edge, dir);
    }
    await writeModelInputs(dir, i.runId, rec.modelInputs);
    writeModelOutputs(dir, rec.modelOutputs);
    const deleted = i.lifecycleStage === "deleted" ? i.deletedTime ?? null : undefined;
    writeAtomic(metaPath(dir), runToYaml(i, deleted), dir);
  }

  putLoggedModel(m: LoggedModel, deleted: boolean): Promise<void> {
    const dir = loggedModelDir(this.#findExpDir(m.experimentId), m.modelId);
    // meta.yaml last, as for runs: a folder without it is an unfinished copy.
    removeTree(dir);
    for (const sub of ["metrics", "params", "tags"]) {
      Deno.mkdirSync(join(dir, sub), { recursive: true });
    }
    for (const p of m.params) writeAtomic(runFilePath(dir, "params", p.key), p.value, dir);
    for (const t of m.tags) writeAtomic(runFilePath(dir, "tags", t.key), t.value, dir);
    const lines = new Map<string, string>();
    for (const p of m.metrics) {
      lines.set(p.key, (lines.get(p.key) ?? "") + modelMetricLine(p, p.runId ?? ""));
    }
    for (const [key, text] of lines) writeAtomic(runFilePath(dir, "metrics", key), text, dir);
    writeAtomic(metaPath(dir), loggedModelToYaml(m, deleted ? "deleted" : "active"), dir);
    return Promise.resolve();
  }
}
