/**
 * The logged-model part of `mlt gc` (as `mlflow gc` 3.x): which deleted models go (all that
 * are old enough, or those of `--logged-model-ids`, which must be deleted and old enough), plus
 * every model of an experiment that is purged, each with its local artifact folder.
 */
import { allPages, type TrackingStore } from "../store/store.ts";

/** A model gc removes, and the local folder of its artifacts if mlt may remove it. */
export interface ModelPlan {
  modelId: string;
  artifacts?: string;
}

/** What planModels() needs to know of the command. */
export interface ModelPlanInput {
  /** `--logged-model-ids`. */
  ids?: string[];
  /** Runs or experiments were named: only named models go. */
  named: boolean;
  /** Deleted before this time (ms), when `--older-than` is given. */
  before?: number;
  /** "2d" etc. for messages. */
  age: string;
  /** Experiments that are purged: their models go with them. */
  experimentIds: string[];
  /** The local folder of an artifact URI that belongs to `ownerId`, or undefined (warned). */
  artifactDir: (uri: string, ownerId: string, what: string) => string | undefined;
}

/** The models gc removes; `problems` receives why named ones cannot go. */
export async function planModels(
  store: TrackingStore,
  o: ModelPlanInput,
  problems: string[],
): Promise<ModelPlan[]> {
  const deleted = new Set(await store.deletedLoggedModelIds());
  const old = o.before === undefined
    ? deleted
    : new Set(await store.deletedLoggedModelIds(o.before));
  const ids = new Set<string>();
  if (o.ids?.length) {
    for (const id of new Set(o.ids)) {
      await store.getLoggedModel(id, { allowDeleted: true }); // RESOURCE_DOES_NOT_EXIST if absent
      if (!deleted.has(id)) {
        problems.push(
          `Logged model ${id} is not in the deleted lifecycle stage; delete it first`,
        );
      } else if (!old.has(id)) {
        problems.push(`Logged model ${id} was deleted less than ${o.age} ago`);
      }
      ids.add(id);
    }
  } else if (!o.named) { for (const id of old) ids.add(id); }
  if (o.experimentIds.length) {
    // Every model of a purged experiment goes with it, deleted or not.
    const { items } = await allPages((pageToken) =>
      store.searchLoggedModels({ experimentIds: o.experimentIds, pageToken })
    );
    for (const m of items) ids.add(m.modelId);
    for (const id of deleted) {
      const m = await store.getLoggedModel(id, { allowDeleted: true });
      if (o.experimentIds.includes(m.experimentId)) ids.add(id);
    }
  }
  const out: ModelPlan[] = [];
  for (const id of [...ids].sort()) {
    const m = await store.getLoggedModel(id, { allowDeleted: true });
    out.push({ modelId: id, artifacts: o.artifactDir(m.artifactLocation, id, "logged model") });
  }
  return out;
}
