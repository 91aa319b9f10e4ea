/**
 * A run's links to MLflow 3 logged models in the file store: model inputs
 * (`<run>/inputs/<md5(model_id + run_id)>/meta.yaml`, source_type MODEL) and outputs
 * (`<run>/outputs/<model_id>/meta.yaml`), read through the cache and written once each.
 */
import { join } from "node:path";
import type { ModelInput, ModelOutput } from "../../model.ts";
import type { FileCache } from "./file_cache.ts";
import { writeOnce } from "./file_io.ts";
import { inputFromMeta, inputToYaml, parseYamlMapping } from "./format.ts";
import { inputDir, metaPath, outputDir } from "./layout.ts";
import { outputFromMeta, outputToYaml } from "./model_format.ts";

function mapping(text: string): Record<string, unknown> {
  const m = parseYamlMapping(text);
  if (!m) throw new Error("is not a valid YAML mapping");
  return m;
}

// The meta.yaml mappings of the sub-folders of `dir`, in name order; broken ones are warned about.
function metas<T>(
  cache: FileCache,
  dir: string,
  read: (m: Record<string, unknown>) => T | undefined,
  warn: (path: string, e: Error) => void,
): T[] {
  const out: T[] = [];
  const entries = cache.dir(dir).filter((e) => e.isDirectory);
  for (const e of entries.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) {
    const path = metaPath(join(dir, e.name));
    try {
      const v = cache.file(path, (t) => read(mapping(t)));
      if (v !== undefined) out.push(v);
    } catch (err) {
      warn(path, err as Error);
    }
  }
  return out;
}

/** The logged models a run used (its inputs of source_type MODEL). */
export function readModelInputs(
  cache: FileCache,
  runDir: string,
  warn: (path: string, e: Error) => void,
): ModelInput[] {
  // Parsed as file_reader.ts parses inputs: the cache keeps one parsed value per file.
  return metas(cache, join(runDir, "inputs"), inputFromMeta, warn)
    .filter((i) => i.sourceType === "MODEL")
    .map((i) => ({ modelId: i.sourceId }));
}

/** The logged models a run produced, with their steps. */
export function readModelOutputs(
  cache: FileCache,
  runDir: string,
  warn: (path: string, e: Error) => void,
): ModelOutput[] {
  return metas(cache, join(runDir, "outputs"), outputFromMeta, warn);
}

/** Writes model input edges (once per model and run; md5 ids as MLflow's). */
export async function writeModelInputs(
  runDir: string,
  runId: string,
  models: ModelInput[],
): Promise<void> {
  if (!models.length) return;
  const { createHash } = await import("node:crypto");
  for (const { modelId } of models) {
    const id = createHash("md5").update(modelId + runId, "utf8").digest("hex");
    // As for dataset inputs (file_inputs.ts), the destination is the run (MLflow repeats the
    // source id there, quirk C6); MLflow reads only source_id of a model input.
    const edge = inputToYaml({
      sourceId: modelId,
      sourceType: "MODEL",
      destinationId: runId,
      destinationType: "RUN",
      tags: [],
    });
    writeOnce(metaPath(inputDir(runDir, id)), edge, runDir);
  }
}

/** Writes model output edges, once per model and run (the first step logged stays). */
export function writeModelOutputs(runDir: string, models: ModelOutput[]): void {
  for (const m of models) {
    writeOnce(metaPath(outputDir(runDir, m.modelId)), outputToYaml(m.modelId, m.step), runDir);
  }
}
