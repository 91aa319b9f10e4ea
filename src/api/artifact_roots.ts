/**
 * Artifact locations as pointers: checks a client-supplied `artifact_location` before it is
 * stored, and maps a stored run artifact URI to a local directory the server may read. Only the
 * artifacts destination and the configured local roots are ever dereferenced; no URL is fetched.
 */
import { isAbsolute, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { invalidParam, MltError } from "../errors.ts";
import { checkArtifactDir, metadataConflict, type StoreBounds } from "../store/artifact_guard.ts";
import { isS3Uri, parseS3Uri } from "../store/s3/s3_config.ts";
import { MAX_ARTIFACT_LOCATION_LENGTH } from "../validate.ts";
import type { ApiContext } from "./context.ts";
import { invalidPath, validatePath } from "./paths.ts";

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.\-]*):/;
const PROXY_ANCHOR = "/api/2.0/mlflow-artifacts/artifacts/";

function badLocation(detail: string): MltError {
  return invalidParam(`Invalid value for parameter 'artifact_location' supplied: ${detail}`);
}

function inside(roots: string[], p: string): boolean {
  return roots.some((r) => p === r || p.startsWith(r.endsWith(sep) ? r : r + sep));
}

// A local path from a plain path or file: URI; undefined for other schemes.
function localPath(uri: string): string | undefined {
  const scheme = SCHEME.exec(uri)?.[1].toLowerCase();
  if (scheme === undefined || (scheme.length === 1 && /^[a-zA-Z]:[\\/]/.test(uri))) {
    return resolve(uri);
  }
  if (scheme !== "file") return undefined;
  if (!uri.startsWith("file://")) return resolve(decodeURIComponent(uri.slice(5)));
  const host = uri.slice(7).split("/")[0];
  if (host !== "" && host.toLowerCase() !== "localhost") throw invalidPath();
  try {
    return fileURLToPath(host ? "file://" + uri.slice(7 + host.length) : uri);
  } catch {
    throw invalidPath();
  }
}

/** The server's file store (if any) and artifact roots: what bounds artifact directories. */
export function storeBounds(ctx: ApiContext): StoreBounds {
  return {
    stores: ctx.store.uri.startsWith("file:") ? [fileURLToPath(ctx.store.uri)] : [],
    artifactRoots: ctx.localArtifactRoots,
  };
}

/** Validates an `artifact_location` of `experiments/create`; returns it unchanged. */
export function checkArtifactLocation(loc: string, ctx: ApiContext): string {
  if (loc.length > MAX_ARTIFACT_LOCATION_LENGTH) {
    throw badLocation(
      `it exceeds the maximum length of ${MAX_ARTIFACT_LOCATION_LENGTH} characters`,
    );
  }
  if (loc.includes("#") || loc.includes(";")) {
    throw badLocation("it must not contain a fragment or parameters");
  }
  const q = loc.indexOf("?");
  if (q >= 0 && /\.\./.test(decodeURIComponent(loc.slice(q).replace(/%(?![0-9a-f]{2})/gi, "")))) {
    throw badLocation("its query must not contain '..'");
  }
  const scheme = SCHEME.exec(loc)?.[1].toLowerCase();
  if (scheme === "runs" || scheme === "models") {
    throw badLocation(`'${scheme}:' URIs cannot be artifact locations`);
  }
  if (loc.startsWith("//")) throw badLocation("it must not be a network path");
  try {
    const path = scheme === undefined || scheme === "file" ? localPath(loc)! : undefined;
    if (path !== undefined) {
      // Relative paths resolve against the server's working folder, as MLflow resolves them.
      if (!isAbsolute(path) || !inside(ctx.localArtifactRoots, path)) {
        // The message names no server path: neither the roots nor the resolved folder.
        throw badLocation(
          "the local folder lies outside this server's artifact roots (a relative path is " +
            "taken from the server's working folder); mlt stores artifacts only where it may " +
            "serve them: start the server with --artifact-root <dir> to allow another folder",
        );
      }
      const why = metadataConflict(path, storeBounds(ctx));
      if (why !== undefined) throw badLocation(why);
    } else if (scheme === "mlflow-artifacts") {
      const rel = validatePath(loc.replace(/^mlflow-artifacts:(\/\/[^/]*)?\/*/i, ""), 1);
      if (!isS3Uri(ctx.artifactsDestination)) {
        const why = metadataConflict(join(ctx.artifactsDestination, rel), storeBounds(ctx));
        if (why !== undefined) throw badLocation(why);
      }
    } else if (scheme === "s3") {
      parseS3Uri(loc); // a bucket name and a safe prefix, or INVALID_PARAMETER_VALUE
    }
  } catch (e) {
    if (e instanceof MltError && e.message === "Invalid path") {
      throw badLocation("it must not contain '..' or other unsafe path segments");
    }
    throw e;
  }
  return loc;
}

/** Where a run's artifacts live on this machine: a root directory and a validated sub-path. */
export interface LocalArtifacts {
  root: string;
  rel: string;
}

/**
 * Maps a stored run artifact URI to local storage: `mlflow-artifacts:` and proxy URLs into the
 * artifacts destination (when serving artifacts), local paths only inside the allowed roots.
 */
export function localArtifacts(uri: string, ctx: ApiContext): LocalArtifacts {
  const scheme = SCHEME.exec(uri)?.[1].toLowerCase();
  let proxied: string | undefined;
  if (scheme === "mlflow-artifacts") proxied = uri.replace(/^mlflow-artifacts:(\/\/[^/]*)?/i, "");
  else if ((scheme === "http" || scheme === "https") && uri.includes(PROXY_ANCHOR)) {
    proxied = uri.split(PROXY_ANCHOR)[1];
  }
  if (proxied !== undefined) {
    if (!ctx.serveArtifacts) {
      throw invalidParam(
        "Artifacts of this run are proxied, but this server runs with --no-serve-artifacts",
      );
    }
    const rel = validatePath(proxied.replace(/^\/+/, ""), 1);
    if (!isS3Uri(ctx.artifactsDestination)) {
      checkArtifactDir(
        join(ctx.artifactsDestination, rel),
        storeBounds(ctx),
        "artifact location of this run",
      );
    }
    return { root: ctx.artifactsDestination, rel };
  }
  const path = scheme === undefined || scheme === "file" ? localPath(uri) : undefined;
  if (path === undefined) {
    throw invalidParam(`Artifacts stored at '${scheme}:' locations are not served by mlt`);
  }
  // A stored pointer outside the allowed roots (a hand-edited meta.yaml) is never followed.
  const root = ctx.localArtifactRoots.find((r) => inside([r], path));
  if (root === undefined) throw invalidPath();
  checkArtifactDir(path, storeBounds(ctx), "artifact location of this run");
  return { root, rel: validatePath(path.slice(root.length).replace(/^[\\/]+/, ""), 0) };
}
