/**
 * The Default experiment of a store that has none yet. MLflow's FileStore creates it as soon as
 * it opens a new root; mlt writes nothing before the first write (a read-only command leaves no
 * files behind), but lists the experiment that write will create (file_experiments.ts initRoot):
 * same id, name, artifact location and creation time.
 */
import type { Experiment } from "../../model.ts";
import { DEFAULT_EXPERIMENT_ID, DEFAULT_EXPERIMENT_NAME } from "../../model.ts";
import type { FileCache } from "./file_cache.ts";
import { appendUriPath, experimentDir, TRASH_DIR } from "./layout.ts";

/** The Default experiment while it exists only in name. */
export class PendingDefault {
  readonly #root: string;
  readonly #cache: FileCache;
  readonly #artifactRoot: string;
  readonly #clock: () => number;
  #experiment?: Experiment;

  constructor(root: string, cache: FileCache, artifactRoot: string, clock: () => number) {
    this.#root = root;
    this.#cache = cache;
    this.#artifactRoot = artifactRoot;
    this.#clock = clock;
  }

  /** The experiment, dated the first time anyone asks (a read, or the write that creates it). */
  get experiment(): Experiment {
    const at = this.#experiment?.creationTime ?? this.#clock();
    return this.#experiment ??= {
      experimentId: DEFAULT_EXPERIMENT_ID,
      name: DEFAULT_EXPERIMENT_NAME,
      artifactLocation: appendUriPath(this.#artifactRoot, DEFAULT_EXPERIMENT_ID),
      lifecycleStage: "active",
      creationTime: at,
      lastUpdateTime: at,
      tags: [],
    };
  }

  /** True while the root has neither `.trash` nor experiment "0" (one cached listing). */
  get pending(): boolean {
    return !this.#cache.dir(this.#root).some((e) =>
      e.name === TRASH_DIR || e.name === DEFAULT_EXPERIMENT_ID
    );
  }

  /** Where the experiment will live. */
  get loc(): { id: string; dir: string; deleted: false } {
    const id = DEFAULT_EXPERIMENT_ID;
    return { id, dir: experimentDir(this.#root, id, false), deleted: false };
  }
}
