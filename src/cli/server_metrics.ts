/**
 * `--expose-prometheus <dir>` of `mlt server`: the metrics behind `/metrics`, and the directory
 * the processes of `--workers` share them through (created if missing, as MLflow does; emptied of
 * a previous server's files by the first process).
 */
import { resolve } from "../posix_path.ts";
import { MltError } from "../errors.ts";
import type { ServerMetrics } from "../api/prometheus.ts";
import type { CliContext } from "./context.ts";
import { WORKER_ENV } from "./server_workers.ts";

/** The server's metrics and how to end their sharing. */
export interface Prometheus {
  metrics: ServerMetrics;
  close(): Promise<void>;
}

/** Opens the metrics when `dir` is set; `stores` are reported when they have a pool. */
export async function openPrometheus(
  dir: string | undefined,
  workers: number,
  ctx: CliContext,
  stores: Record<string, unknown>,
): Promise<Prometheus | undefined> {
  if (dir === undefined || dir === "") return undefined;
  const path = resolve(ctx.cwd, dir);
  try {
    await Deno.mkdir(path, { recursive: true });
  } catch (e) {
    throw new MltError(
      "INVALID_PARAMETER_VALUE",
      `Cannot create the --expose-prometheus directory "${dir}": ${(e as Error).message}`,
    );
  }
  const { ServerMetrics } = await import("../api/prometheus.ts");
  // A registry kept in the tracking store's database is the same object: report its pool once.
  const seen = new Set<unknown>();
  const distinct = Object.fromEntries(
    Object.entries(stores).filter(([, s]) => s && !seen.has(s) && seen.add(s)),
  );
  const metrics = new ServerMetrics({ stores: distinct });
  const copy = ctx.env(WORKER_ENV) !== undefined;
  // One process keeps its counters in memory; only a pool of processes writes files.
  if (!copy && workers <= 1) return { metrics, close: () => Promise.resolve() };
  const { MetricsShare, clearShared } = await import("../api/metrics_share.ts");
  if (!copy) await clearShared(path);
  const share = new MetricsShare(metrics, path);
  return { metrics, close: () => share.close() };
}
