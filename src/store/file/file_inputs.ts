/**
 * `log-inputs` on the file store: dataset records under the experiment and input edges under the
 * run, each written once (MLflow's layout, reference §3.5).
 */
import { invalidParam } from "../../errors.ts";
import type { DatasetInput } from "../../model.ts";
import { writeOnce } from "./file_io.ts";
import { datasetToYaml, inputToYaml } from "./format.ts";
import { datasetDir, inputDir, metaPath } from "./layout.ts";
import type { RunLoc } from "./file_reader.ts";

// MLflow's dataset limits (reference §7).
const LIMITS = { name: 500, digest: 36, source: 65535, schema: 1048575, profile: 16777215 };
const INPUT_TAG_KEY = 255;
const INPUT_TAG_VALUE = 500;

function checkString(v: unknown, what: string, max: number, required: boolean): void {
  if (v === undefined || v === null) {
    if (required) throw invalidParam(`Dataset ${what} is required`);
    return;
  }
  if (typeof v !== "string") throw invalidParam(`Dataset ${what} must be a string`);
  if (required && v === "") throw invalidParam(`Dataset ${what} must not be empty`);
  if (v.length > max) {
    throw invalidParam(`Dataset ${what} exceeds the maximum length of ${max} characters`);
  }
}

/** Checks dataset inputs against MLflow's limits; throws INVALID_PARAMETER_VALUE. */
export function validateDatasetInputs(inputs: DatasetInput[]): void {
  for (const input of inputs) {
    const d = input?.dataset;
    if (!d) throw invalidParam("Dataset input is missing its dataset");
    checkString(d.name, "name", LIMITS.name, true);
    checkString(d.digest, "digest", LIMITS.digest, true);
    checkString(d.sourceType, "source_type", LIMITS.source, true);
    checkString(d.source, "source", LIMITS.source, true);
    checkString(d.schema, "schema", LIMITS.schema, false);
    checkString(d.profile, "profile", LIMITS.profile, false);
    for (const t of input.tags ?? []) {
      if (typeof t.key !== "string" || t.key === "" || t.key.length > INPUT_TAG_KEY) {
        throw invalidParam(`Input tag key ${JSON.stringify(t.key)} is empty or too long`);
      }
      if (typeof t.value !== "string" || t.value.length > INPUT_TAG_VALUE) {
        throw invalidParam(
          `Input tag value of '${t.key}' exceeds the maximum length of ${INPUT_TAG_VALUE}`,
        );
      }
    }
  }
}

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
