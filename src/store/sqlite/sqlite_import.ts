/**
 * `mlt migrate` into a SQLite store: experiments and runs written with their ids, times, names
 * and lifecycle states exactly as in the source. Each run is one transaction, so an interrupted
 * migration leaves whole runs only.
 */
import { invalidParam, MltError } from "../../errors.ts";
import { newRunId } from "../../ids.ts";
import type { Experiment, LoggedModel } from "../../model.ts";
import type { ImportTarget, RunRecord } from "../migrate.ts";
import { IMPORT_RUN_SQL, importedRunArgs } from "./run_statements.ts";
import type { Connections } from "./connection.ts";
import { sqlExperimentId } from "./sqlite_reader.ts";
import {
  deleteRunRows,
  insertExperiment,
  insertInputs,
  insertMetrics,
  upsertExperimentTag,
} from "./sqlite_writer.ts";
import { deleteModelRows, insertModel, insertModelLinks } from "./sqlite_models.ts";
import { storedMetricValue } from "./rows.ts";

/** The SQLite store's side of a migration. */
export class SqliteImport implements ImportTarget {
  /** The metrics table's primary key merges exact duplicate points. */
  readonly mergesDuplicatePoints = true;

  constructor(readonly db: Connections) {}

  async putExperiment(exp: Experiment): Promise<void> {
    const id = importId(exp.experimentId);
    await this.db.write((w) => {
      const other = w.one<{ id: string }>(
        "SELECT CAST(experiment_id AS TEXT) AS id FROM experiments WHERE name = ?",
        exp.name,
      );
      if (other && other.id !== String(id)) {
        throw new MltError(
          "RESOURCE_ALREADY_EXISTS",
          `Cannot copy experiment ${exp.experimentId} ("${exp.name}"): the target already has ` +
            `experiment ${other.id} with that name`,
        );
      }
      w.run("DELETE FROM experiment_tags WHERE experiment_id = ?", id);
      const fields = [
        exp.name,
        exp.artifactLocation,
        exp.lifecycleStage,
        exp.creationTime ?? null,
        exp.lastUpdateTime ?? null,
      ] as const;
      const updated = w.run(
        "UPDATE experiments SET name = ?, artifact_location = ?, lifecycle_stage = ?, " +
          "creation_time = ?, last_update_time = ? WHERE experiment_id = ?",
        ...fields,
        id,
      );
      if (updated === 0) {
        insertExperiment(w, {
          id,
          name: exp.name,
          location: exp.artifactLocation,
          stage: exp.lifecycleStage,
          creationTime: exp.creationTime ?? null,
          lastUpdateTime: exp.lastUpdateTime ?? null,
        }, []);
      }
      for (const t of exp.tags) upsertExperimentTag(w, id, t);
    });
  }

  async putRun(rec: RunRecord): Promise<void> {
    const expId = importId(rec.info.experimentId);
    const i = rec.info;
    await this.db.write((w) => {
      deleteRunRows(w, i.runId);
      w.run(IMPORT_RUN_SQL, ...importedRunArgs(i, expId));
      const kv = (table: string, key: string, value: string) =>
        w.run(`INSERT INTO ${table} (key, value, run_uuid) VALUES (?, ?, ?)`, key, value, i.runId);
      for (const p of rec.params) kv("params", p.key, p.value);
      // Tags as they are: the run's name stays runs.name even if the tag says otherwise.
      for (const t of rec.tags) kv("tags", t.key, t.value);
      insertMetrics(w, i.runId, rec.metrics);
      insertInputs(w, i.runId, expId, rec.inputs, newRunId);
      insertModelLinks(w, i.runId, "input", rec.modelInputs, newRunId);
      insertModelLinks(w, i.runId, "output", rec.modelOutputs, newRunId);
    });
  }

  async putLoggedModel(m: LoggedModel, deleted: boolean): Promise<void> {
    const expId = importId(m.experimentId);
    await this.db.write((w) => {
      deleteModelRows(w, "model_id = ?", m.modelId);
      insertModel(w, { ...m, experimentId: String(expId) });
      if (deleted) {
        w.run("UPDATE logged_models SET lifecycle_stage = 'deleted' WHERE model_id = ?", m.modelId);
      }
      for (const p of m.metrics) {
        w.run(
          "INSERT OR IGNORE INTO logged_model_metrics (model_id, metric_name, " +
            "metric_timestamp_ms, metric_step, metric_value, experiment_id, run_id, " +
            "dataset_uuid, dataset_name, dataset_digest) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)",
          m.modelId,
          p.key,
          p.timestamp,
          p.step,
          storedMetricValue(p.value),
          expId,
          p.runId ?? "",
          p.datasetName ?? null,
          p.datasetDigest ?? null,
        );
      }
    });
  }
}

function importId(id: string): bigint {
  try {
    return sqlExperimentId(id);
  } catch {
    throw invalidParam(
      `Cannot copy experiment "${id}" into a SQLite store: MLflow's SQL schema needs integer ` +
        "experiment ids",
    );
  }
}
