/**
 * Parity cases that hold for every store: refused requests and their messages (numbers rendered
 * as Python read them, the bulk-history parameters) and `/version`. None of them writes.
 */
import type { Case } from "./parity.ts";

const API = "/api/2.0/mlflow";
const AJAX = "/ajax-api/2.0/mlflow";

/** Requests every store refuses in MLflow's words, for a run that has a `curve` metric. */
export function errorCases(runId: string): Case[] {
  const create = (body: string): Case => ({
    method: "POST",
    path: `${API}/experiments/create`,
    body,
  });
  const get = (path: string): Case => ({ method: "GET", path });
  const many = (name: string) => Array.from({ length: 101 }, () => `${name}=${runId}`).join("&");
  const bulk = `${AJAX}/metrics/get-history-bulk`;
  const interval = `${API}/metrics/get-history-bulk-interval`;
  return [
    get("/version"),
    // Sent as text: JSON.stringify would turn 9.0 into 9, which Python reads as an int.
    ...[
      "9.0",
      "9",
      "1e16",
      "1E5",
      "12345678901234567890",
      "-0.0",
      "-0",
      "1e400",
      "1.5e-7",
      "0.1",
      "[1.0, 2]",
      '{"b": 2.50, "a": 1}',
      "true",
      "null",
    ].map((v) => create(`{"name": ${v}}`)),
    create('"{\\"name\\": 2.0}"'), // an old client's body: a JSON string holding the JSON
    {
      method: "POST",
      path: `${API}/runs/log-metric`,
      body: `{"run_id": "${runId}", "key": "k", "value": "x", "timestamp": 1}`,
    },
    get(`${bulk}?metric_key=curve`),
    get(`${bulk}?run_id=${runId}`),
    get(`${bulk}?${many("run_id")}&metric_key=curve`),
    get(`${interval}?metric_key=curve`),
    get(`${interval}?run_ids=${runId}`),
    get(`${interval}?run_ids=${runId}&metric_key=`),
    get(`${interval}?${many("run_ids")}&metric_key=curve`),
    ...["abc", "0", "3000", "2.5"].map((m) =>
      get(`${interval}?run_ids=${runId}&metric_key=curve&max_results=${m}`)
    ),
    get(`${interval}?run_ids=${runId}&metric_key=curve&start_step=x&end_step=2`),
    get(`${interval}?run_ids=${runId}&metric_key=curve&start_step=1`),
    get(`${interval}?run_ids=${runId}&metric_key=curve&start_step=3&end_step=1`),
  ];
}
