/**
 * The local folders a server may read run artifacts from, besides its artifacts destination: the
 * store's own roots — a file store's folder, the `mlruns` folder beside a SQLite database (where
 * MLflow 3's default layout puts artifacts) — the default artifact root when it is a local path,
 * and every `--artifact-root`. src/api/artifact_roots.ts follows no stored pointer outside them.
 */
import { dirname, fileURLToPath, resolve } from "../posix_path.ts";
import { sqlitePath, storeLocation } from "../store/open_uri.ts";

/** What decides a server's local artifact roots. */
export interface RootsInput {
  /** The store's URI as the store reports it (`file:///…`, `sqlite:///…`, `http…`). */
  storeUri: string;
  /** Folder that relative paths are taken from. */
  cwd: string;
  /** The store's artifact root for new experiments, when one was given. */
  artifactRoot?: string;
  /** `--artifact-root` folders. */
  extra?: string[];
}

// A local folder named by a plain path or file: URI; undefined for other schemes.
function localDir(uri: string, cwd: string): string | undefined {
  if (/^file:/i.test(uri)) {
    return uri.startsWith("file://") ? fileURLToPath(uri) : resolve(cwd, uri.slice(5));
  }
  return /^[a-zA-Z][a-zA-Z0-9+.\-]*:/.test(uri) ? undefined : resolve(cwd, uri);
}

// A root as written and as its real path: stored pointers may use either spelling (a database
// opened through a symlinked folder records the path its writer saw).
function spellings(dir: string): string[] {
  try {
    const real = Deno.realPathSync(dir);
    return real === dir ? [dir] : [dir, real];
  } catch {
    return [dir];
  }
}

/** The `s3://` locations whose artifacts the server serves: `--artifact-root`s, the default root. */
export function s3ArtifactRoots(o: RootsInput): string[] {
  const all = [...(o.extra ?? []), ...(o.artifactRoot !== undefined ? [o.artifactRoot] : [])];
  return all.filter((u) => /^s3:\/\//i.test(u));
}

/** The absolute local folders whose artifacts the server serves (no duplicates). */
export function localArtifactRoots(o: RootsInput): string[] {
  const dirs: (string | undefined)[] = [];
  const at = storeLocation(o.storeUri);
  if (at.kind === "file") dirs.push(resolve(o.cwd, at.root));
  if (at.kind === "sqlite") {
    const db = sqlitePath(at.uri);
    if (db !== ":memory:") dirs.push(resolve(dirname(resolve(o.cwd, db)), "mlruns"));
    // MLflow's SQL store default artifact root: ./mlruns of the folder it runs in.
    if (o.artifactRoot === undefined) dirs.push(resolve(o.cwd, "mlruns"));
  }
  // MLflow's SQL store default artifact root on PostgreSQL too: ./mlruns of the working folder.
  if (at.kind === "postgres" && o.artifactRoot === undefined) dirs.push(resolve(o.cwd, "mlruns"));
  if (o.artifactRoot !== undefined) dirs.push(localDir(o.artifactRoot, o.cwd));
  for (const d of o.extra ?? []) dirs.push(localDir(d, o.cwd));
  const out = new Set<string>();
  for (const d of dirs) if (d !== undefined) { for (const s of spellings(d)) out.add(s); }
  return [...out];
}
