/**
 * Experiment writes of the file store that need care: first-use initialisation of the root,
 * creating an experiment folder, and the name-uniqueness check that runs under the root's lock.
 */
import { join } from "node:path";
import { MltError } from "../../errors.ts";
import type { Experiment, Tag } from "../../model.ts";
import { DEFAULT_EXPERIMENT_ID, DEFAULT_EXPERIMENT_NAME } from "../../model.ts";
import { validateArtifactLocation } from "../../validate.ts";
import { isDir, withLock, writeAtomic } from "./file_io.ts";
import type { FileReader } from "./file_reader.ts";
import { experimentToYaml } from "./format.ts";
import {
  appendUriPath,
  experimentDir,
  experimentTagPath,
  LOCK_FILE,
  metaPath,
  resolveUriIfLocal,
  TRASH_DIR,
} from "./layout.ts";

/** What creating an experiment folder needs to know. */
export interface NewExperiment {
  root: string;
  id: string;
  name: string;
  artifactLocation: string;
  now: number;
  tags: Tag[];
}

/** Creates `<root>/<id>/` with its meta.yaml and tags; AlreadyExists when the id is taken. */
export function writeNewExperiment(e: NewExperiment): void {
  const dir = experimentDir(e.root, e.id, false);
  Deno.mkdirSync(dir);
  const exp: Experiment = {
    experimentId: e.id,
    name: e.name,
    artifactLocation: e.artifactLocation,
    lifecycleStage: "active",
    creationTime: e.now,
    lastUpdateTime: e.now,
    tags: [],
  };
  writeAtomic(metaPath(dir), experimentToYaml(exp, false), dir, true);
  for (const t of e.tags) writeAtomic(experimentTagPath(dir, t.key), t.value, dir);
}

/** The root's lock file: held while a name is checked and claimed. */
export function lockPath(root: string): string {
  return join(root, LOCK_FILE);
}

/**
 * Creates the root with experiment "0" and `.trash` unless `.trash` exists (MLflow's marker of an
 * initialised store). Under the lock, so concurrent first writers create "0" once.
 */
export async function initRoot(root: string, artifactRoot: string, now: () => number) {
  const trash = join(root, TRASH_DIR);
  Deno.mkdirSync(root, { recursive: true });
  if (isDir(trash)) return;
  await withLock(lockPath(root), () => {
    if (isDir(trash)) return;
    const id = DEFAULT_EXPERIMENT_ID;
    if (!isDir(join(root, id)) && !isDir(join(trash, id))) {
      const artifactLocation = appendUriPath(artifactRoot, id);
      writeNewExperiment({
        root,
        id,
        name: DEFAULT_EXPERIMENT_NAME,
        artifactLocation,
        now: now(),
        tags: [],
      });
    }
    Deno.mkdirSync(trash, { recursive: true });
  });
}

/** Refuses a name used by any experiment, active or deleted (call under the lock). */
export function checkNameFree(reader: FileReader, name: string): void {
  for (const loc of reader.experimentLocs("ALL")) {
    const exp = reader.tryExperiment(loc);
    if (exp?.name !== name) continue;
    throw new MltError(
      "RESOURCE_ALREADY_EXISTS",
      exp.lifecycleStage === "deleted" || loc.deleted
        ? `Experiment '${name}' already exists in deleted state. You can restore the ` +
          "experiment, or permanently delete the experiment from the .trash folder (under " +
          "tracking server's root folder) in order to use this experiment name again."
        : `Experiment '${name}' already exists.`,
    );
  }
}

/** Checks a client-given artifact location and makes it absolute if local. */
export function resolveArtifactLocation(location: string, cwd: string): string {
  return resolveUriIfLocal(validateArtifactLocation(location), cwd);
}
