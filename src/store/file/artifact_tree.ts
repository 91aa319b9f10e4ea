/**
 * Experiment folders that hold only run artifacts: MLflow 3's SQLite layout keeps its runs in
 * `mlflow.db` and their files in `mlruns/<experiment>/<run>/artifacts`, so an `mlruns/` beside
 * the database looks like a file store whose meta.yaml files are all missing. Such folders are
 * not broken experiments; readers skip them without a warning and `mlt doctor` names them.
 */
import { join } from "node:path";
import { lexists } from "../probe.ts";
import { META_FILE } from "./layout.ts";

/**
 * True when `dir` has no meta.yaml, has sub-folders, and none of them has a meta.yaml either: an
 * artifact folder, not an experiment that lost its meta.yaml (whose runs would keep theirs) nor
 * an empty folder.
 */
export function holdsOnlyArtifacts(dir: string): boolean {
  if (lexists(join(dir, META_FILE))) return false;
  let folders = 0;
  try {
    for (const e of Deno.readDirSync(dir)) {
      if (!e.isDirectory) continue;
      if (lexists(join(dir, e.name, META_FILE))) return false;
      folders++;
    }
  } catch {
    return false;
  }
  return folders > 0;
}
