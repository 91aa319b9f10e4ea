/**
 * `log-inputs` on the file store: dataset records under the experiment and input edges under the
 * run, each written once (MLflow's layout, reference §3.5).
 */
import type { DatasetInput } from "../../model.ts";
import { validateDatasetInputs } from "../../validate.ts";
import { writeOnce } from "./file_io.ts";
import { datasetToYaml, inputToYaml } from "./format.ts";
import { datasetDir, inputDir, metaPath } from "./layout.ts";
import type { RunLoc } from "./file_reader.ts";

/**
 * Writes the dataset records and input edges of `inputs` for the run `activeRun()` finds (called
 * after validation, so nothing is written for an invalid request).
 */
export async function logInputsAt(activeRun: () => RunLoc, inputs: DatasetInput[]): Promise<void> {
  validateDatasetInputs(inputs);
  const loc = activeRun();
  // Loaded on first use: node:crypto costs startup time that most commands never need.
  const { createHash } = await import("node:crypto");
  const md5 = (text: string) => createHash("md5").update(text, "utf8").digest("hex");
  for (const input of inputs) {
    const d = input.dataset;
    // MLflow's ids: md5(name + digest) for the dataset, md5(dataset_id + run_id) for the edge.
    const dsId = md5(d.name + d.digest);
    writeOnce(metaPath(datasetDir(loc.expDir, dsId)), datasetToYaml(d), loc.expDir);
    // MLflow writes the dataset id as destination_id (quirk C6); mlt writes the run id.
    const edge = inputToYaml({
      sourceId: dsId,
      sourceType: "DATASET",
      destinationId: loc.runId,
      destinationType: "RUN",
      tags: input.tags ?? [],
    });
    writeOnce(metaPath(inputDir(loc.dir, md5(dsId + loc.runId))), edge, loc.dir);
  }
}
