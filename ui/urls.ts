/** Every UI URL in one place, under the server's static prefix (pure). */
import { qs } from "./format.ts";

/** Query pairs of a link; arrays repeat the name. */
type Q = Record<string, string | string[] | undefined>;

/** Builds the UI's links for one static prefix ("" or "/mlflow"). */
export function urls(prefix: string, version = "") {
  const p = prefix;
  const e = encodeURIComponent;
  return {
    prefix: p,
    home: (q: Q = {}) => `${p || "/"}${qs(q)}`,
    experiment: (id: string, q: Q = {}) => `${p}/experiments/${e(id)}${qs(q)}`,
    experimentCsv: (id: string, q: Q = {}) => `${p}/experiments/${e(id)}/runs.csv${qs(q)}`,
    // One chart of an experiment's chart tab ({figure}), or its data as CSV.
    experimentChart: (q: Q, csv = false) => `${p}/_mlt/echart${csv ? ".csv" : ""}${qs(q)}`,
    run: (expId: string, runId: string, q: Q = {}) =>
      `${p}/experiments/${e(expId)}/runs/${e(runId)}${qs(q)}`,
    metric: (key: string, runs: string[], q: Q = {}) =>
      `${p}/metric${qs({ key, runs: runs.join(","), ...q })}`,
    compare: (runs: string[], q: Q = {}) => `${p}/compare${qs({ runs: runs.join(","), ...q })}`,
    artifact: (runId: string, path: string) => `${p}/get-artifact${qs({ run_id: runId, path })}`,
    asset: (name: string) => `${p}/_mlt/assets/${name}${version ? `?v=${version}` : ""}`,
    liveRun: (runId: string, q: Q = {}) => `${p}/_mlt/live/run/${e(runId)}${qs(q)}`,
    liveStatuses: (runIds: string[]) => `${p}/_mlt/live/statuses${qs({ runs: runIds.join(",") })}`,
    chartCsv: (key: string, runs: string[], q: Q = {}) =>
      `${p}/_mlt/chart.csv${qs({ key, runs: runs.join(","), ...q })}`,
    chart: (key: string, runs: string[], q: Q = {}) =>
      `${p}/_mlt/chart${qs({ key, runs: runs.join(","), ...q })}`,
    action: (path: string) => `${p}/_mlt/action/${path}`,
    // MLflow 3 logged models (an experiment's Models tab, one model) and the model registry.
    experimentModels: (id: string, q: Q = {}) => `${p}/experiments/${e(id)}/models${qs(q)}`,
    loggedModel: (expId: string, modelId: string, q: Q = {}) =>
      `${p}/experiments/${e(expId)}/models/${e(modelId)}${qs(q)}`,
    modelArtifact: (modelId: string, path: string) =>
      `${p}/ajax-api/2.0/mlflow/logged-models/${e(modelId)}/artifacts/files${
        qs({ artifact_file_path: path })
      }`,
    registry: (q: Q = {}) => `${p}/models${qs(q)}`,
    registeredModel: (name: string, q: Q = {}) => `${p}/models/${e(name)}${qs(q)}`,
    modelVersion: (name: string, version: string | number) =>
      `${p}/models/${e(name)}/versions/${e(String(version))}`,
  };
}

/** The link builder pages receive. */
export type Urls = ReturnType<typeof urls>;
