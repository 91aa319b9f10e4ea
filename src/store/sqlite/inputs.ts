/**
 * MLflow's limits of `log-inputs` (reference §7), as the file store checks them. A copy of
 * file/file_inputs.ts's checks: that module loads the file store's YAML code, which the SQLite
 * store must not pay for at startup. Pure. (Candidate for validate.ts.)
 */
import { invalidParam } from "../../errors.ts";
import type { DatasetInput } from "../../model.ts";

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
  if (!Array.isArray(inputs)) throw invalidParam("Dataset inputs must be a list");
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
