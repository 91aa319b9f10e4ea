/**
 * Which artifact repository serves a stored artifact URI, picked by its scheme: the artifacts
 * destination for `mlflow-artifacts:` (a local folder or an S3 prefix), S3 for `s3://` URIs
 * inside the buckets the operator allowed, a local root for paths. Nothing else is dereferenced.
 */
import { invalidParam } from "../errors.ts";
import type { ArtifactRepo } from "../store/artifact_repo.ts";
import { isS3Uri, parseS3Uri, s3UriOf, s3Within } from "../store/s3/s3_config.ts";
import { S3ArtifactRepo } from "../store/s3/s3_repo.ts";
import { FsArtifactRepo } from "./artifact_fs.ts";
import { localArtifacts } from "./artifact_roots.ts";
import type { ApiContext } from "./context.ts";
import type { S3Access } from "./s3_access.ts";

/** A repository and the validated sub-path of one stored location inside it. */
export interface Served {
  repo: ArtifactRepo;
  rel: string;
}

const repos = new WeakMap<ApiContext, ArtifactRepo>();

/** The repository behind `mlflow-artifacts:` URIs (one per server). */
export function destinationRepo(ctx: ApiContext): ArtifactRepo {
  let repo = repos.get(ctx);
  if (!repo) {
    const dest = ctx.artifactsDestination;
    repo = isS3Uri(dest) ? new S3ArtifactRepo(dest, s3Of(ctx).client) : new FsArtifactRepo(dest);
    repos.set(ctx, repo);
  }
  return repo;
}

function s3Of(ctx: ApiContext): S3Access {
  if (!ctx.s3) {
    throw invalidParam("Artifacts stored in S3 are not served: this server has no S3 settings");
  }
  return ctx.s3;
}

/**
 * Maps a stored artifact URI (a run's, a logged model's, a model version's) to the repository
 * that serves it. `s3://` URIs outside the allowed roots are refused without any request.
 */
export function servedArtifacts(uri: string, ctx: ApiContext): Served {
  if (isS3Uri(uri)) {
    const loc = parseS3Uri(uri);
    const s3 = ctx.s3;
    if (!s3 || !s3.roots.some((r) => s3Within(r, loc))) {
      throw invalidParam(
        `Artifacts at "${s3UriOf(loc)}" are not served: the bucket or prefix is not among this ` +
          "server's artifact roots (start it with --artifact-root s3://<bucket>/<prefix>)",
      );
    }
    return { repo: new S3ArtifactRepo(s3UriOf(loc), s3.client), rel: "" };
  }
  const local = localArtifacts(uri, ctx);
  if (local.root === ctx.artifactsDestination) {
    return { repo: destinationRepo(ctx), rel: local.rel };
  }
  return { repo: new FsArtifactRepo(local.root), rel: local.rel };
}

/** `rel` and `path` joined (both already canonical). */
export function under(rel: string, path: string): string {
  return [rel, path].filter(Boolean).join("/");
}
