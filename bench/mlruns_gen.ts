/** Shared by the benchmarks that build large mlruns trees directly in MLflow's file format. */
import { newRunId } from "../src/ids.ts";
import type { RunInfo } from "../src/model.ts";
import { runToYaml } from "../src/store/file/format.ts";

/** The start time of run 0; run r starts r seconds later and lasts half a second. */
export const T0 = 1_700_000_000_000;

/** Writes run number `r`'s folders, meta.yaml and name/user tags; params and metrics are the caller's. */
export async function writeRunSkeleton(
  expDir: string,
  expId: string,
  r: number,
): Promise<{ runId: string; dir: string }> {
  const runId = newRunId();
  const dir = `${expDir}/${runId}`;
  for (const sub of ["metrics", "params", "tags", "artifacts"]) {
    await Deno.mkdir(`${dir}/${sub}`, { recursive: true });
  }
  const info: RunInfo = {
    runId,
    experimentId: expId,
    runName: `run-${r}`,
    userId: "bench",
    status: "FINISHED",
    startTime: T0 + r * 1000,
    endTime: T0 + r * 1000 + 500,
    artifactUri: `file://${dir}/artifacts`,
    lifecycleStage: "active",
  };
  await Deno.writeTextFile(`${dir}/meta.yaml`, runToYaml(info, null));
  await Deno.writeTextFile(`${dir}/tags/mlflow.runName`, `run-${r}`);
  await Deno.writeTextFile(`${dir}/tags/mlflow.user`, "bench");
  return { runId, dir };
}
