/**
 * `mlt migrate` into a PostgreSQL store: experiments, runs and logged models written with their
 * ids, times, names and lifecycle states exactly as in the source, each in one transaction (an
 * interrupted migration leaves whole entities only). MLflow's experiment id sequence is moved
 * past the copied ids, so later experiments (from mlt or `mlflow server`) get fresh ones.
 */
import { invalidParam, MltError } from "../../errors.ts";
import { newRunId } from "../../ids.ts";
import type { Experiment, LoggedModel } from "../../model.ts";
import type { ImportTarget, RunRecord } from "../migrate.ts";
import { IMPORT_RUN_SQL, importedRunArgs } from "../sqlite/run_statements.ts";
import { sqlExperimentId } from "../sqlite/sqlite_reader.ts";
import type { PgDb } from "./pg_db.ts";
import { insertExperiment, nextExperimentId, syncExperimentSequence } from "./pg_lifecycle.ts";
import { deleteModelRows, insertModel, insertModelLinks, insertModelMetrics } from "./pg_models.ts";
import { deleteRunRows, insertInputs, upsertExperimentTags } from "./pg_writer.ts";
import { insertMetrics } from "./pg_batch.ts";

// An experiment id MLflow's INTEGER column holds, or undefined.
function int32Id(id: string): bigint | undefined {
  try {
    const n = sqlExperimentId(id);
    if (n >= -2147483648n && n <= 2147483647n) return n;
  } catch { /* not an integer */ }
  return undefined;
}

function importId(id: string): bigint {
  const n = int32Id(id);
  if (n === undefined) {
    throw invalidParam(`Cannot copy into a PostgreSQL store: no experiment ${id} there`);
  }
  return n;
}

/** The PostgreSQL store's side of a migration. */
export class PgImport implements ImportTarget {
  /** The metrics table's primary key merges exact duplicate points. */
  readonly mergesDuplicatePoints = true;

  constructor(readonly db: PgDb) {}

  async putExperiment(exp: Experiment): Promise<string> {
    return await this.db.write(async (w) => {
      const other = await w.one<{ id: string }>(
        "SELECT CAST(experiment_id AS TEXT) AS id FROM experiments WHERE name = ?",
        exp.name,
      );
      // A file store's 18-digit id does not fit MLflow's INTEGER column: the experiment of that
      // name (copied before), else the next id of MLflow's sequence.
      const id = int32Id(exp.experimentId) ??
        (other ? BigInt(other.id) : await nextExperimentId(w));
      if (other && other.id !== String(id)) {
        throw new MltError(
          "RESOURCE_ALREADY_EXISTS",
          `Cannot copy experiment ${exp.experimentId} ("${exp.name}"): the target already has ` +
            `experiment ${other.id} with that name`,
        );
      }
      await w.run("DELETE FROM experiment_tags WHERE experiment_id = ?", id);
      const fields = {
        name: exp.name,
        location: exp.artifactLocation,
        stage: exp.lifecycleStage,
        creationTime: exp.creationTime ?? null,
        lastUpdateTime: exp.lastUpdateTime ?? null,
      };
      const updated = await w.run(
        "UPDATE experiments SET name = ?, artifact_location = ?, lifecycle_stage = ?, " +
          "creation_time = ?, last_update_time = ? WHERE experiment_id = ?",
        fields.name,
        fields.location,
        fields.stage,
        fields.creationTime,
        fields.lastUpdateTime,
        id,
      );
      if (updated === 0) await insertExperiment(w, id, fields, []);
      await upsertExperimentTags(w, id, exp.tags);
      await syncExperimentSequence(w);
      return String(id);
    });
  }

  async putRun(rec: RunRecord): Promise<void> {
    const expId = importId(rec.info.experimentId);
    const i = rec.info;
    await this.db.write(async (w) => {
      await deleteRunRows(w, i.runId);
      await w.run(IMPORT_RUN_SQL, ...importedRunArgs(i, expId));
      // Rows as they are: the run's name stays runs.name even if its tag says otherwise.
      for (const [table, rows] of [["params", rec.params], ["tags", rec.tags]] as const) {
        if (rows.length === 0) continue;
        await w.run(
          `INSERT INTO ${table} (key, value, run_uuid) SELECT k, v, ? FROM ` +
            "unnest(?::text[], ?::text[]) AS x(k, v)",
          i.runId,
          rows.map((r) => r.key),
          rows.map((r) => r.value),
        );
      }
      await insertMetrics(w, i.runId, rec.metrics, true);
      await insertInputs(w, i.runId, expId, rec.inputs, newRunId);
      await insertModelLinks(w, i.runId, "input", rec.modelInputs ?? [], newRunId);
      await insertModelLinks(w, i.runId, "output", rec.modelOutputs ?? [], newRunId);
    });
  }

  async putLoggedModel(m: LoggedModel, deleted: boolean): Promise<void> {
    const expId = importId(m.experimentId);
    await this.db.write(async (w) => {
      await deleteModelRows(w, "model_id = ?", m.modelId);
      await insertModel(w, { ...m, experimentId: String(expId) }, deleted ? "deleted" : "active");
      // Points by run, as the run logged them (each run's batch keeps its run id).
      const byRun = new Map<string, typeof m.metrics>();
      for (const p of m.metrics) {
        const list = byRun.get(p.runId ?? "") ?? [];
        list.push({ ...p, modelId: m.modelId });
        byRun.set(p.runId ?? "", list);
      }
      for (const [runId, points] of byRun) await insertModelMetrics(w, runId, expId, points);
    });
  }
}
