/**
 * Which store a command uses when none is named, decided as MLflow ≥ 3.7 decides it in the
 * working folder: `./mlruns` when it already holds experiment data (MLflow's own test: a
 * digit-named folder with a meta.yaml), else an existing `./mlflow.db` (MLflow 3's default
 * layout), else mlt's default, the file store `./mlruns` (docs/stores.md says why). Reads only
 * directory listings and file types; never creates anything.
 */
import { join } from "../posix_path.ts";
import { isFolder, lexists } from "./probe.ts";

/** mlt's default store when the folder holds none: the file store. */
export const DEFAULT_FILE_STORE = "./mlruns";
/** MLflow 3's default store, relative to the working folder. */
export const DEFAULT_SQLITE_URI = "sqlite:///mlflow.db";

/** Where a command's store came from. */
export type StoreSource =
  | "flag" // --tracking-uri / --backend-store-uri
  | "env" // MLFLOW_TRACKING_URI (or the server's MLFLOW_BACKEND_STORE_URI)
  | "mlruns" // ./mlruns holds experiment data
  | "mlflow.db" // ./mlflow.db exists (MLflow 3's default layout)
  | "default"; // neither: mlt's default ./mlruns

/** A store URI and why it was chosen. */
export interface ResolvedStore {
  uri: string;
  source: StoreSource;
}

/**
 * MLflow's `_has_existing_mlruns_data`: `dir` has a digit-named sub-folder holding a meta.yaml.
 * Stops at the first one, so a large store costs one listing.
 */
export function holdsExperimentData(dir: string): boolean {
  try {
    for (const e of Deno.readDirSync(dir)) {
      if (!/^[0-9]+$/.test(e.name)) continue;
      const sub = join(dir, e.name);
      if (isFolder(sub) && lexists(join(sub, "meta.yaml"))) return true;
    }
  } catch {
    return false; // missing or unreadable: no data
  }
  return false;
}

/** The store of the folder `cwd` when no URI is given (URIs relative to `cwd`). */
export function defaultStore(cwd: string): ResolvedStore {
  if (holdsExperimentData(join(cwd, "mlruns"))) {
    return { uri: DEFAULT_FILE_STORE, source: "mlruns" };
  }
  try {
    if (Deno.statSync(join(cwd, "mlflow.db")).isFile) {
      return { uri: DEFAULT_SQLITE_URI, source: "mlflow.db" };
    }
  } catch { /* no database */ }
  return { uri: DEFAULT_FILE_STORE, source: "default" };
}
