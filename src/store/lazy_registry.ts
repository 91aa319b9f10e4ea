/**
 * A model registry that loads its implementation on its first call. A registry kept in the
 * tracking store's own database shares that store's connections, so creating it can fail in no
 * way worth reporting at start: deferring it lets `mlt server` answer sooner and idle smaller
 * when no model is served (B8, B9).
 */
import { forwardCalls } from "../lazy_module.ts";
import type { ModelRegistryStore } from "./registry.ts";

// Every call of the interface (a store's other members, such as `poolStats`, stay absent, as
// the duck-typed checks of pool_stats.ts expect).
const CALLS = [
  "createRegisteredModel",
  "getRegisteredModel",
  "renameRegisteredModel",
  "updateRegisteredModel",
  "deleteRegisteredModel",
  "searchRegisteredModels",
  "getLatestVersions",
  "setRegisteredModelTag",
  "deleteRegisteredModelTag",
  "createModelVersion",
  "getModelVersion",
  "updateModelVersion",
  "transitionModelVersionStage",
  "deleteModelVersion",
  "getModelVersionDownloadUri",
  "searchModelVersions",
  "setModelVersionTag",
  "deleteModelVersionTag",
  "setRegisteredModelAlias",
  "deleteRegisteredModelAlias",
  "getModelVersionByAlias",
] as const satisfies readonly (keyof ModelRegistryStore)[];

// Fails to compile when the interface gains a call that CALLS does not forward.
type Unforwarded = Exclude<keyof ModelRegistryStore, (typeof CALLS)[number] | "uri" | "close">;
const complete: [Unforwarded] extends [never] ? true : Unforwarded = true;
void complete;

/** The registry at `uri` that `open` creates on the first call made to it. */
export function lazyRegistry(
  uri: string,
  open: () => Promise<ModelRegistryStore>,
): ModelRegistryStore {
  let loading: Promise<ModelRegistryStore> | undefined;
  const store: Record<string, unknown> = {
    uri,
    close: async () => await (await loading)?.close(),
  };
  forwardCalls(store, CALLS, () => loading ??= open());
  return store as unknown as ModelRegistryStore;
}
