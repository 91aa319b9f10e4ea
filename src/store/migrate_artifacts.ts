/**
 * The artifact side of `mlt migrate --artifacts-to <root>`: each run's and logged model's files
 * copied from where its URI points (a local folder, `file:`, `s3://`, `mlflow-artifacts:` through
 * the source server's artifacts destination) to MLflow's layout under the root
 * (`<root>/<experiment>/<run>/artifacts`, `<root>/<experiment>/models/<model>/artifacts`).
 * Streamed file by file through ArtifactRepo; a file already there with the same size is skipped,
 * so an interrupted copy is resumed by running it again. A file that cannot be copied is recorded
 * (not thrown), so the others still go and the caller reports every one.
 */
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { invalidParam, MltError } from "../errors.ts";
import { localArtifactDir } from "./artifact_guard.ts";
import { validatePath } from "./artifact_path.ts";
import type { ArtifactRepo } from "./artifact_repo.ts";
import { listFiles, LocalArtifactRepo, openArtifactRepo } from "./artifacts.ts";
import { isS3Uri, parseS3Uri, s3UriOf } from "./s3/s3_config.ts";

/** Where `mlt migrate` copies artifacts to, and how it reads them. */
export interface ArtifactMoveOptions {
  /** The target root: a local folder, a `file:` URI or `s3://bucket/prefix`. */
  to: string;
  /** The source server's artifacts destination, for `mlflow-artifacts:` URIs. */
  fromDestination?: string;
  /** MLflow's environment variables (S3 settings, http credentials). */
  env: (name: string) => string | undefined;
  /** Called after each file copied or skipped. */
  onFile?: (stats: ArtifactStats) => void;
}

/** What the artifact copy did. */
export interface ArtifactStats {
  files: number;
  bytes: number;
  skippedFiles: number;
  skippedBytes: number;
  /** One line per file (or location) that could not be copied. */
  failures: string[];
}

const PROXIED = /^mlflow-artifacts:(\/\/[^/]*)?\/*/i;

/** A root (local folder, `file:` URI, `s3://`) as a canonical URI without a trailing slash. */
export function artifactRootUri(root: string, what: string): string {
  if (isS3Uri(root)) return s3UriOf(parseS3Uri(root));
  const dir = localArtifactDir(root);
  if (dir === undefined) {
    throw invalidParam(
      `${what} "${root}" is neither a local folder, a file: URI nor s3://<bucket>/<prefix>`,
    );
  }
  return pathToFileURL(resolve(dir)).href.replace(/\/+$/, "");
}

/** Copies artifacts into MLflow's layout under one root and counts what it did. */
export class ArtifactMover {
  readonly stats: ArtifactStats = {
    files: 0,
    bytes: 0,
    skippedFiles: 0,
    skippedBytes: 0,
    failures: [],
  };
  readonly root: string;
  // Source location → target location, of every complete copy.
  readonly #moved = new Map<string, string>();
  readonly #fromDestination?: string;
  readonly #opts: ArtifactMoveOptions;

  constructor(opts: ArtifactMoveOptions) {
    this.#opts = opts;
    this.root = artifactRootUri(opts.to, "--artifacts-to");
    if (opts.fromDestination !== undefined) {
      this.#fromDestination = artifactRootUri(
        opts.fromDestination,
        "--from-artifacts-destination",
      );
    }
  }

  /** An experiment's location in the target. */
  experimentLocation(experimentId: string): string {
    return `${this.root}/${experimentId}`;
  }

  /** A run's artifact URI in the target. */
  runUri(experimentId: string, runId: string): string {
    return `${this.experimentLocation(experimentId)}/${runId}/artifacts`;
  }

  /** A logged model's artifact location in the target. */
  modelUri(experimentId: string, modelId: string): string {
    return `${this.experimentLocation(experimentId)}/models/${modelId}/artifacts`;
  }

  /** `uri` with a copied location it lies in replaced by the copy's (else unchanged). */
  relocated(uri: string): string {
    for (const [from, to] of this.#moved) {
      if (uri === from) return to;
      if (uri.startsWith(from + "/")) return to + uri.slice(from.length);
    }
    return uri;
  }

  /**
   * Throws a one-line INVALID_PARAMETER_VALUE when `uri` cannot be read (an `mlflow-artifacts:`
   * URI without --from-artifacts-destination).
   */
  check(uri: string, owner: string): void {
    if (!PROXIED.test(uri) || this.#fromDestination !== undefined) return;
    throw invalidParam(
      `the artifacts of ${owner} are at "${uri}", on the source server's artifact store: ` +
        "name that store (the server's --artifacts-destination) with " +
        "--from-artifacts-destination <folder or s3://bucket/prefix>",
    );
  }

  // The repository a stored URI points at.
  #source(uri: string, owner: string): ArtifactRepo {
    this.check(uri, owner);
    const { env } = this.#opts;
    const dest = this.#fromDestination;
    if (PROXIED.test(uri) && dest !== undefined) {
      const rel = validatePath(uri.replace(PROXIED, ""), 1);
      // A local destination as a path: the file names in `rel` are not URI-encoded.
      const local = isS3Uri(dest) ? undefined : localArtifactDir(dest)!;
      const at = local !== undefined
        ? join(local, ...rel.split("/"))
        : rel
        ? `${dest}/${rel}`
        : dest;
      return openArtifactRepo(at, { env });
    }
    return openArtifactRepo(uri, { env });
  }

  /**
   * Copies every file under `from` to `to`; true when all of them are there afterwards. Errors
   * of single files are recorded in `stats.failures`; a bad URI or setting throws.
   */
  async copy(from: string, to: string, owner: string): Promise<boolean> {
    if (from.replace(/\/+$/, "") === to) return true;
    const src = this.#source(from, owner);
    const dst = openArtifactRepo(to, { env: this.#opts.env });
    let files: { path: string; size?: number }[];
    const there = new Map<string, number | undefined>();
    let listing = from;
    try {
      files = src instanceof LocalArtifactRepo ? await localFiles(src.root) : await listFiles(src);
      listing = to;
      for (const f of await listFiles(dst)) there.set(f.path, f.size);
    } catch (e) {
      this.stats.failures.push(`${owner}: cannot list ${listing}: ${message(e)}`);
      return false;
    }
    let ok = true;
    for (const f of files) {
      if (f.size !== undefined && there.get(f.path) === f.size) {
        this.stats.skippedFiles++;
        this.stats.skippedBytes += f.size;
      } else {
        try {
          let size = f.size ?? 0;
          // A factory: a retried upload opens the file again.
          await dst.write(f.path, async () => {
            const opened = await src.open(f.path);
            size = opened.size;
            return opened.body;
          });
          this.stats.files++;
          this.stats.bytes += size;
        } catch (e) {
          ok = false;
          this.stats.failures.push(`${owner}: ${from}/${f.path}: ${message(e)}`);
        }
      }
      this.#opts.onFile?.(this.stats);
    }
    if (ok) this.#moved.set(from.replace(/\/+$/, ""), to);
    return ok;
  }
}

function message(e: unknown): string {
  // The path is named already: "not found" says the rest.
  if (e instanceof MltError && e.code === "RESOURCE_DOES_NOT_EXIST") return "no such file";
  return (e instanceof Error ? e.message : String(e)).split("\n")[0];
}

/**
 * Every file under a local folder, a link to nothing included (with no size), so a file that is
 * listed but gone is reported rather than silently left behind.
 */
async function localFiles(root: string, rel = ""): Promise<{ path: string; size?: number }[]> {
  const out: { path: string; size?: number }[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(rel ? join(root, rel) : root));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return out;
    throw e;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const path = rel ? `${rel}/${e.name}` : e.name;
    const st = await Deno.stat(join(root, path)).catch(() => undefined);
    if (st?.isDirectory) out.push(...await localFiles(root, path));
    else out.push({ path, size: st?.size });
  }
  return out;
}
