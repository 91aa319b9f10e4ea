/**
 * A run's artifact browser: one directory level with links, downloads through the REST
 * `/get-artifact` route, and a preview of the chosen file (text, JSON, YAML, CSV as a table,
 * images; HTML and SVG only inside an iframe sandbox without scripts or same-origin).
 */
import type { VNode } from "preact";
import type { Urls } from "../urls.ts";

/** One listed entry. */
export interface ArtifactItem {
  path: string;
  isDir: boolean;
  size?: number;
}

/** A preview of one file, already decoded by the app. */
export type Preview =
  | { path: string; kind: "text"; text: string; truncated: boolean }
  | { path: string; kind: "csv"; rows: string[][]; truncated: boolean }
  | { path: string; kind: "image" }
  | { path: string; kind: "html"; text: string; truncated: boolean }
  | { path: string; kind: "none"; reason: string };

/** Props of Artifacts. */
export interface ArtifactsProps {
  u: Urls;
  runId: string;
  /** Link to the run page showing a directory or file. */
  hrefFor: (path: string) => string;
  dir: string;
  items: ArtifactItem[];
  error?: string;
  preview?: Preview;
}

const TEXT =
  /\.(txt|log|json|ya?ml|md|py|r|sh|toml|ini|cfg|conf|ts|js|MLmodel|MLproject|out|err)$/i;
const IMAGE = /\.(png|jpe?g|gif|webp|bmp)$/i;

/** How a file name should be previewed. */
export function previewKind(path: string): "text" | "csv" | "image" | "html" | "none" {
  const base = path.slice(path.lastIndexOf("/") + 1);
  if (IMAGE.test(base)) return "image";
  if (/\.(html?|svg)$/i.test(base)) return "html";
  if (/\.(csv|tsv)$/i.test(base)) return "csv";
  if (TEXT.test(base) || !base.includes(".") || base === "MLmodel") return "text";
  return "none";
}

/** Splits CSV text into rows (quotes and doubled quotes handled; at most `max` rows). */
export function parseCsv(text: string, max = 200, sep = ","): string[][] {
  const rows: string[][] = [];
  let row: string[] = [], field = "", q = false;
  for (let i = 0; i < text.length && rows.length < max; i++) {
    const ch = text[i];
    if (q) {
      if (ch === '"' && text[i + 1] === '"') field += '"', i++;
      else if (ch === '"') q = false;
      else field += ch;
    } else if (ch === '"') q = true;
    else if (ch === sep) row.push(field), field = "";
    else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      row.push(field), rows.push(row), row = [], field = "";
    } else field += ch;
  }
  if ((field || row.length) && rows.length < max) row.push(field), rows.push(row);
  return rows;
}

function size(n?: number): string {
  if (n === undefined) return "";
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(1)} GB`;
}

function PreviewView({ u, runId, p }: { u: Urls; runId: string; p: Preview }): VNode {
  const note = "truncated" in p && p.truncated
    ? <p class="muted small">Preview truncated; download for the whole file.</p>
    : null;
  if (p.kind === "image") {
    return <img class="preview" src={u.artifact(runId, p.path)} alt={p.path} />;
  }
  if (p.kind === "html") {
    return (
      <div>
        <iframe class="preview" sandbox="" srcdoc={p.text} title={`Preview of ${p.path}`} />
        {note}
      </div>
    );
  }
  if (p.kind === "csv") {
    const [head, ...body] = p.rows;
    return (
      <div>
        <div class="tablewrap">
          <table class="grid">
            <thead>
              <tr>{(head ?? []).map((h, i) => <th key={i} scope="col">{h}</th>)}</tr>
            </thead>
            <tbody>
              {body.map((r, i) => <tr key={i}>{r.map((c, j) => <td key={j}>{c}</td>)}</tr>)}
            </tbody>
          </table>
        </div>
        {note}
      </div>
    );
  }
  if (p.kind === "text") {
    return (
      <div>
        <pre>{p.text}</pre>
        {note}
      </div>
    );
  }
  return <p class="muted">{p.reason}</p>;
}

/** The artifact browser. */
export function Artifacts(p: ArtifactsProps): VNode {
  const parts = p.dir ? p.dir.split("/") : [];
  return (
    <div class="artifacts">
      <p class="small">
        <a href={p.hrefFor("")}>artifacts</a>
        {parts.map((seg, i) => (
          <span key={i}>
            {" / "}
            <a href={p.hrefFor(parts.slice(0, i + 1).join("/"))}>{seg}</a>
          </span>
        ))}
      </p>
      {p.error
        ? <div class="error">{p.error}</div>
        : p.items.length === 0
        ? <p class="muted">No artifacts.</p>
        : (
          <table class="grid">
            <tbody>
              {p.items.map((a) => (
                <tr key={a.path}>
                  <td>
                    <a href={p.hrefFor(a.path)}>
                      {a.isDir ? "📁 " : ""}
                      {a.path.slice(a.path.lastIndexOf("/") + 1)}
                    </a>
                  </td>
                  <td class="num">{size(a.size)}</td>
                  <td>
                    {!a.isDir && <a href={p.u.artifact(p.runId, a.path)} download>Download</a>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      {p.preview && (
        <section aria-label="Preview">
          <h3>
            {p.preview.path}{" "}
            <a class="small" href={p.u.artifact(p.runId, p.preview.path)} download>Download</a>
          </h3>
          <PreviewView u={p.u} runId={p.runId} p={p.preview} />
        </section>
      )}
    </div>
  );
}
