/** Every UI URL in one place, under the server's static prefix (pure). */
import { qs } from "./format.ts";

/** Builds the UI's links for one static prefix ("" or "/mlflow"). */
export function urls(prefix: string, version = "") {
  const p = prefix;
  const e = encodeURIComponent;
  return {
    prefix: p,
    home: (q: Record<string, string | undefined> = {}) => `${p || "/"}${qs(q)}`,
    experiment: (id: string, q: Record<string, string | string[] | undefined> = {}) =>
      `${p}/experiments/${e(id)}${qs(q)}`,
    run: (expId: string, runId: string, q: Record<string, string | undefined> = {}) =>
      `${p}/experiments/${e(expId)}/runs/${e(runId)}${qs(q)}`,
    metric: (key: string, runs: string[], q: Record<string, string | undefined> = {}) =>
      `${p}/metric${qs({ key, runs: runs.join(","), ...q })}`,
    compare: (runs: string[], q: Record<string, string | undefined> = {}) =>
      `${p}/compare${qs({ runs: runs.join(","), ...q })}`,
    artifact: (runId: string, path: string) => `${p}/get-artifact${qs({ run_id: runId, path })}`,
    asset: (name: string) => `${p}/_mlt/assets/${name}${version ? `?v=${version}` : ""}`,
    liveRun: (runId: string, q: Record<string, string | undefined> = {}) =>
      `${p}/_mlt/live/run/${e(runId)}${qs(q)}`,
    liveStatuses: (runIds: string[]) => `${p}/_mlt/live/statuses${qs({ runs: runIds.join(",") })}`,
    chartData: (key: string, runs: string[], q: Record<string, string | undefined> = {}) =>
      `${p}/_mlt/chart-data${qs({ key, runs: runs.join(","), ...q })}`,
    chart: (key: string, runs: string[], q: Record<string, string | undefined> = {}) =>
      `${p}/_mlt/chart${qs({ key, runs: runs.join(","), ...q })}`,
    action: (path: string) => `${p}/_mlt/action/${path}`,
  };
}

/** The link builder pages receive. */
export type Urls = ReturnType<typeof urls>;
