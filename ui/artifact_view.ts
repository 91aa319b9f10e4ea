/** Loads the artifact browser's data (a listing and maybe a preview) through ArtifactAccess. */
import type { Hono } from "hono";
import { MltError } from "../src/errors.ts";
import type { Run } from "../src/model.ts";
import { type ArtifactItem, parseCsv, type Preview, previewKind } from "./components/artifacts.tsx";
import type { ChartView } from "./components/chart_controls.tsx";
import type { OutputLog } from "./pages/run.tsx";
import type { Urls } from "./urls.ts";

/** Reads a run's artifacts (listing and bytes); mountUi provides it over the REST routes. */
export interface ArtifactAccess {
  list(runId: string, path: string): Promise<ArtifactItem[]>;
  read(runId: string, path: string, maxBytes: number): Promise<{ bytes: Uint8Array; size: number }>;
  /** Lists a directory of a logged model's artifacts. */
  listModel?(modelId: string, path: string): Promise<ArtifactItem[]>;
  /** Reads the start of one of a logged model's artifact files. */
  readModel?(
    modelId: string,
    path: string,
    maxBytes: number,
  ): Promise<{ bytes: Uint8Array; size: number }>;
}

/** Reads up to `maxBytes` of one file: the bytes read and the file's whole size. */
export type ReadStart = (
  path: string,
  maxBytes: number,
) => Promise<{ bytes: Uint8Array; size: number }>;

/** Largest slice of a file shown in a preview. */
export const PREVIEW_BYTES = 512 * 1024;

/** Where `mlt run` saves the entry point's output (src/runner/artifact_dir.ts's STDOUT_LOG). */
export const OUTPUT_LOG = "mlt/stdout.log";
/** Logs up to this size are read whole, so their end can be shown. */
const OUTPUT_READ = 4 * 1024 * 1024;
/** Characters of the output log shown on the run page. */
const OUTPUT_SHOW = 64 * 1024;

/** The directory of an artifact path ("" at the root). */
export function parentOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "" : path.slice(0, i);
}

function decode(bytes: Uint8Array): string {
  return new TextDecoder("utf-8", { fatal: false }).decode(bytes);
}

/** The preview of one file (read up to PREVIEW_BYTES by `read`: a run's or a logged model's). */
export async function preview(read: ReadStart, path: string): Promise<Preview> {
  const kind = previewKind(path);
  if (kind === "none") return { path, kind, reason: "No preview for this file type." };
  if (kind === "image") return { path, kind };
  const { bytes, size } = await read(path, PREVIEW_BYTES);
  const truncated = size > bytes.length;
  const text = decode(bytes);
  if (kind === "csv") {
    return { path, kind, rows: parseCsv(text, 200, /\.tsv$/i.test(path) ? "\t" : ","), truncated };
  }
  if (kind === "text" && bytes.includes(0)) {
    return { path, kind: "none", reason: "Binary file; download it to view." };
  }
  return { path, kind, text, truncated };
}

/** The run page's link to an artifact (a directory or a file), keeping the chart options. */
export function artifactHref(u: Urls, run: Run, view: ChartView): (path: string) => string {
  const keep = {
    x: view.x === "step" ? undefined : view.x,
    y: view.y === "linear" ? undefined : view.y,
  };
  return (path) =>
    u.run(run.info.experimentId, run.info.runId, { ...keep, artifact: path || undefined }) +
    "#artifacts";
}

/**
 * The run's captured output (`mlt/stdout.log`), or undefined when it has none: its end, or its
 * beginning when it is too large to read whole.
 */
export async function loadOutput(
  access: ArtifactAccess | undefined,
  u: Urls,
  run: Run,
  view: ChartView,
): Promise<OutputLog | undefined> {
  if (!access) return undefined;
  const runId = run.info.runId;
  try {
    const dir = await access.list(runId, parentOf(OUTPUT_LOG));
    if (!dir.some((e) => e.path === OUTPUT_LOG && !e.isDir)) return undefined;
    const { bytes, size } = await access.read(runId, OUTPUT_LOG, OUTPUT_READ);
    let text = decode(bytes);
    let shown: OutputLog["shown"] = "all";
    if (size > bytes.length) {
      shown = "start";
      text = text.slice(0, OUTPUT_SHOW);
    } else if (text.length > OUTPUT_SHOW) {
      shown = "end";
      text = text.slice(-OUTPUT_SHOW);
      text = text.slice(text.indexOf("\n") + 1);
    }
    return { path: OUTPUT_LOG, text, size, shown, href: artifactHref(u, run, view)(OUTPUT_LOG) };
  } catch {
    // Artifacts the server cannot read (remote or missing) just leave the section out.
    return undefined;
  }
}

// The first `maxBytes` of a response's body (the rest is not read), and the file's size.
async function readStart(
  response: Promise<Response>,
  maxBytes: number,
): Promise<{ bytes: Uint8Array; size: number }> {
  const res = await response;
  const size = Number(res.headers.get("content-length") ?? 0);
  const out = new Uint8Array(Math.min(maxBytes, size || maxBytes));
  let at = 0;
  const reader = res.body!.getReader();
  while (at < out.length) {
    const { value, done } = await reader.read();
    if (done) break;
    const take = Math.min(value.length, out.length - at);
    out.set(value.subarray(0, take), at);
    at += take;
  }
  await reader.cancel().catch(() => {});
  return { bytes: out.subarray(0, at), size: size || at };
}

/** Artifact access through the REST app's own routes (`artifacts/list`, `/get-artifact`). */
export function restArtifacts(api: Hono): ArtifactAccess {
  const call = async (path: string) => {
    const res = await api.request(path);
    if (!res.ok) {
      const body = await res.json().catch(() => ({}));
      await res.body?.cancel().catch(() => {});
      throw new MltError(
        res.status === 404 ? "RESOURCE_DOES_NOT_EXIST" : "INVALID_PARAMETER_VALUE",
        String(body.message ?? `Cannot read artifacts (HTTP ${res.status})`),
      );
    }
    return res;
  };
  const listing = async (url: string): Promise<ArtifactItem[]> => {
    const body = await (await call(url)).json() as {
      files?: { path: string; is_dir?: boolean; file_size?: number }[];
    };
    return (body.files ?? []).map((f) => ({ path: f.path, isDir: !!f.is_dir, size: f.file_size }));
  };
  return {
    list(runId, path) {
      const q = new URLSearchParams({ run_id: runId });
      if (path) q.set("path", path);
      return listing(`/api/2.0/mlflow/artifacts/list?${q}`);
    },
    listModel(modelId, path) {
      const q = new URLSearchParams();
      if (path) q.set("artifact_directory_path", path);
      const id = encodeURIComponent(modelId);
      return listing(`/api/2.0/mlflow/logged-models/${id}/artifacts/directories?${q}`);
    },
    read(runId, path, maxBytes) {
      return readStart(
        call(`/get-artifact?${new URLSearchParams({ run_id: runId, path })}`),
        maxBytes,
      );
    },
    readModel(modelId, path, maxBytes) {
      const q = new URLSearchParams({ artifact_file_path: path });
      const id = encodeURIComponent(modelId);
      // MLflow serves this download under ajax-api only.
      return readStart(
        call(`/ajax-api/2.0/mlflow/logged-models/${id}/artifacts/files?${q}`),
        maxBytes,
      );
    },
  };
}
