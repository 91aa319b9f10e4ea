/**
 * The start-up lines of `mlt server` / `mlt ui` after "listening on <url>": which store is served
 * (`serving ./mlruns (file store, 3 experiments)`), and a warning when its folder or database is
 * missing or holds no experiment — the usual reason for an empty UI.
 */
import { dirname, relative, resolve } from "../posix_path.ts";
import type { StoreSummary, TrackingStore } from "../store/store.ts";
import { holdsExperimentData, type ResolvedStore } from "../store/default_uri.ts";
import { displayUri, sqlitePath, storeLocation } from "../store/open_uri.ts";
import { exists } from "../store/probe.ts";

/** What existed before the store was opened (opening a SQLite store creates its file). */
export interface StoreBefore {
  kind: "file" | "sqlite" | "postgres" | "rest";
  /** The store's folder or database file did not exist. */
  missing: boolean;
  /** A SQLite database's `mlruns` folder (where MLflow 3 writes artifacts), if it exists. */
  artifactsBeside?: string;
}

/** Looks at the store a URI names before it is opened. */
export function storeBefore(uri: string, cwd: string): StoreBefore {
  const at = storeLocation(uri);
  if (at.kind === "file") return { kind: "file", missing: !exists(resolve(cwd, at.root)) };
  if (at.kind === "rest" || at.kind === "postgres") return { kind: at.kind, missing: false };
  const db = sqlitePath(at.uri);
  if (db === ":memory:") return { kind: "sqlite", missing: false };
  const path = resolve(cwd, db);
  const beside = resolve(dirname(path), "mlruns");
  const shown = relative(cwd, beside);
  return {
    kind: "sqlite",
    missing: !exists(path),
    artifactsBeside: exists(beside) && !holdsExperimentData(beside)
      ? (shown.startsWith("..") ? beside : `./${shown}`)
      : undefined,
  };
}

const KIND_NAMES = {
  file: "file store",
  sqlite: "SQLite",
  postgres: "PostgreSQL",
  rest: "tracking server",
};

/** Where the store came from, in words, for the banner's parenthesis. */
function sourceNote(r: ResolvedStore): string {
  if (r.source === "mlflow.db") return "found ./mlflow.db";
  if (r.source === "mlruns") return "found ./mlruns";
  if (r.source === "env") return "from MLFLOW_TRACKING_URI";
  return "";
}

/** The store's active experiments and whether they hold a run, by its searches. */
export async function searchSummary(store: TrackingStore): Promise<StoreSummary> {
  // Loaded here: a store with its own summary() (SQLite) starts without store.ts.
  const { allPages } = await import("../store/store.ts");
  const experiments =
    (await allPages((pageToken, maxResults) =>
      store.searchExperiments({ viewType: "ACTIVE_ONLY", maxResults, pageToken })
    )).items;
  const runs = experiments.length
    ? (await store.searchRuns({
      experimentIds: experiments.map((e) => e.experimentId),
      viewType: "ALL",
      maxResults: 1,
    })).items
    : [];
  return { experiments: experiments.length, hasRuns: runs.length > 0 };
}

/** The banner's lines: one `serving …` line for stdout, warnings for stderr. */
export async function storeBanner(
  store: TrackingStore,
  resolved: ResolvedStore,
  before: StoreBefore,
): Promise<{ line: string; warnings: string[] }> {
  const warnings: string[] = [];
  const shown = displayUri(resolved.uri); // never a password in the banner
  const { experiments, hasRuns } = await (store.summary?.() ?? searchSummary(store));
  const count = `${experiments} experiment${experiments === 1 ? "" : "s"}`;
  const details = [KIND_NAMES[before.kind], count, sourceNote(resolved)].filter(Boolean);
  if (before.artifactsBeside) {
    details.push(`artifacts in ${before.artifactsBeside}`);
  }
  const what = before.kind === "file" ? "folder" : "database";
  if (before.missing && before.kind === "file") {
    warnings.push(
      `${shown} does not exist yet: the UI stays empty until a run is logged there. ` +
        "Pass --backend-store-uri to serve another store (MLflow 3 writes ./mlflow.db).",
    );
  } else if (before.missing) {
    warnings.push(`${shown} did not exist: it was created as an empty ${what}.`);
  } else if (before.kind !== "rest" && !hasRuns) {
    warnings.push(
      `${shown} holds no runs yet: the UI stays empty until a run is logged there.`,
    );
  }
  return { line: `serving ${shown} (${details.join(", ")})`, warnings };
}
