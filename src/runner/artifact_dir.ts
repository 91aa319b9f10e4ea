/**
 * Where the runner may write run artifacts itself: only a local artifact location (a `file://`
 * URI or a plain path); other schemes (`mlflow-artifacts:`, `s3://`, …) belong to an artifact
 * repository mlt does not write from the runner. Pure: no Deno.*.
 */
import { isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The run artifact holding the entry point's output. */
export const STDOUT_LOG = "mlt/stdout.log";

/** The local directory of an artifact URI, or undefined when it is not local. */
export function localArtifactDir(uri: string, cwd: string): string | undefined {
  if (/^file:\/\//i.test(uri)) {
    try {
      return fileURLToPath(uri.replace(/^file:\/\/localhost\//i, "file:///"));
    } catch {
      return undefined;
    }
  }
  if (/^file:/i.test(uri)) return resolve(cwd, decodeURIComponent(uri.slice(5)));
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(uri) || uri === "") return undefined;
  return isAbsolute(uri) ? uri : resolve(cwd, uri);
}
