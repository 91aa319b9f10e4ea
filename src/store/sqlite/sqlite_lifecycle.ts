/**
 * Transaction bodies of experiment and run lifecycle changes in the SQLite store: rename, delete
 * and restore (carrying the runs along, reference §4.3), tag checks, and the new run row.
 */
import { invalidParam, notFound } from "../../errors.ts";
import {
  INSERT_RUN_SQL,
  type NewRunRow,
  RUN_EXPERIMENT_SQL,
  runExperimentLocation,
  runRowArgs,
} from "./run_statements.ts";
import type { Statements } from "./connection.ts";
import { checkNameFree, experimentStage } from "./sqlite_writer.ts";
import { sqlExperimentId } from "./sqlite_reader.ts";

/** The id of an active experiment (for tag changes); 404 or 400 otherwise. */
export function activeExperimentId(w: Statements, experimentId: string): bigint {
  const id = sqlExperimentId(experimentId);
  const stage = experimentStage(w, id);
  if (stage === undefined) throw notFound(`No Experiment with id=${experimentId} exists`);
  if (stage !== "active") {
    throw invalidParam(
      `The experiment ${experimentId} must be in the 'active' lifecycle_stage to set tags`,
    );
  }
  return id;
}

/** Renames an active experiment to a name no other experiment has. */
export function renameExperimentRow(
  w: Statements,
  experimentId: string,
  newName: string,
  now: number,
): void {
  const id = sqlExperimentId(experimentId);
  const stage = experimentStage(w, id);
  if (stage === undefined) throw notFound(`No Experiment with id=${experimentId} exists`);
  if (stage !== "active") {
    throw invalidParam(
      `Cannot rename experiment '${experimentId}' in non-active lifecycle stage. ` +
        `Current stage: ${stage}`,
    );
  }
  const cur = w.one<{ name: string }>("SELECT name FROM experiments WHERE experiment_id = ?", id);
  if (cur?.name === newName) return;
  checkNameFree(w, newName);
  w.run(
    "UPDATE experiments SET name = ?, last_update_time = ? WHERE experiment_id = ?",
    newName,
    now,
    id,
  );
}

/**
 * Deletes or restores an experiment with its runs. Deleting marks its active runs deleted at
 * `now` (runs deleted before keep their time); restoring brings every run back, as MLflow does.
 */
export function setExperimentStage(
  w: Statements,
  experimentId: string,
  stage: "active" | "deleted",
  now: number,
): void {
  const id = sqlExperimentId(experimentId);
  const from = stage === "deleted" ? "active" : "deleted";
  if (experimentStage(w, id) !== from) {
    throw notFound(`No ${from} experiment with id=${experimentId} exists`);
  }
  w.run(
    "UPDATE experiments SET lifecycle_stage = ?, last_update_time = ? WHERE experiment_id = ?",
    stage,
    now,
    id,
  );
  if (stage === "deleted") {
    w.run(
      "UPDATE runs SET lifecycle_stage = 'deleted', deleted_time = ? WHERE experiment_id = ? " +
        "AND COALESCE(lifecycle_stage, 'active') = 'active'",
      now,
      id,
    );
  } else {
    w.run(
      "UPDATE runs SET lifecycle_stage = 'active', deleted_time = NULL WHERE experiment_id = ?",
      id,
    );
  }
}

/** A new run's row, with MLflow's defaults, in an active experiment. */
export function insertRunRow(
  w: Statements,
  r: NewRunRow,
): void {
  const id = sqlExperimentId(r.experimentId);
  const exp = w.one<{ s: string | null; loc: string | null }>(RUN_EXPERIMENT_SQL, id);
  w.run(INSERT_RUN_SQL, ...runRowArgs(r, id, runExperimentLocation(r, exp)));
}
