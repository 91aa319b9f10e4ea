/**
 * A run's artifact browser: a tree (directories open on the way to the chosen path), downloads
 * through the REST `/get-artifact` route, and a pane previewing the chosen file (text, JSON,
 * YAML, CSV as a table, images; HTML and SVG only inside an iframe sandbox without scripts or
 * same-origin). Links reload the page without JS; the client script opens directories and
 * previews in place.
 */
import type { VNode } from "preact";
import type { Urls } from "../urls.ts";
import { Icon } from "./icons.tsx";

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

/** An entry of the tree: a file, or a directory with its entries when it is open. */
export interface ArtifactNode extends ArtifactItem {
  children?: ArtifactNode[];
}

/** Props of Artifacts. */
export interface ArtifactsProps {
  u: Urls;
  runId: string;
  /** Link to the run page showing a directory open or a file previewed (the no-JS way). */
  hrefFor: (path: string) => string;
  /** The root's entries; directories on the way to the selected path are open. */
  tree: ArtifactNode[];
  selected: string;
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

function PreviewView({ p, href }: { p: Preview; href: string }): VNode {
  const note = "truncated" in p && p.truncated
    ? <p class="muted small">Preview truncated; download for the whole file.</p>
    : null;
  if (p.kind === "image") {
    return <img class="preview" src={href} alt={p.path} />;
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

/** One level of the tree (also sent alone when the client opens a directory). */
export function ArtifactList(
  { u, runId, hrefFor, nodes, selected }: {
    u: Urls;
    runId: string;
    hrefFor: (path: string) => string;
    nodes: ArtifactNode[];
    selected: string;
  },
): VNode {
  if (!nodes.length) {
    return (
      <ul>
        <li class="muted">(empty)</li>
      </ul>
    );
  }
  return (
    <ul>
      {nodes.map((a) => {
        const name = a.path.slice(a.path.lastIndexOf("/") + 1);
        const open = a.children !== undefined;
        return (
          <li key={a.path} class={a.isDir ? "dir" : "file"}>
            <a
              href={hrefFor(a.path)}
              data-artifact={a.path}
              data-dir={a.isDir ? "1" : undefined}
              aria-expanded={a.isDir ? (open ? "true" : "false") : undefined}
              aria-current={a.path === selected ? "true" : undefined}
            >
              {a.isDir
                ? (
                  <>
                    <span class="closed">
                      <Icon name="folder" />
                    </span>
                    <span class="opened">
                      <Icon name="folder-open" />
                    </span>
                  </>
                )
                : <Icon name={iconFor(a.path)} />}
              {name}
            </a>
            {!a.isDir && (
              <>
                <span class="muted small">{size(a.size)}</span>
                <a
                  class="dl"
                  href={u.artifact(runId, a.path)}
                  download
                  aria-label={`Download ${name}`}
                  title="Download"
                >
                  <Icon name="download" />
                </a>
              </>
            )}
            {open && (
              <ArtifactList
                u={u}
                runId={runId}
                hrefFor={hrefFor}
                nodes={a.children!}
                selected={selected}
              />
            )}
          </li>
        );
      })}
    </ul>
  );
}

function iconFor(path: string): string {
  const kind = previewKind(path);
  return kind === "image"
    ? "image"
    : kind === "csv"
    ? "table"
    : /MLmodel$/.test(path)
    ? "model"
    : "file";
}

/** The preview pane's content for one file; `href` downloads it (a run's or a model's file). */
export function PreviewPane({ p, href }: { p: Preview; href: string }): VNode {
  return (
    <>
      <h3>
        {p.path} <a class="small" href={href} download>Download</a>
      </h3>
      <PreviewView p={p} href={href} />
    </>
  );
}

/** The artifact browser: the tree and the preview pane. */
export function Artifacts(p: ArtifactsProps): VNode {
  return (
    <div class="artifacts" data-run-id={p.runId}>
      {p.error && <div class="error">{p.error}</div>}
      {!p.error && p.tree.length === 0 ? <p class="muted">No artifacts.</p> : (
        <div class="split">
          <nav class="tree" aria-label="Artifact files">
            <ArtifactList
              u={p.u}
              runId={p.runId}
              hrefFor={p.hrefFor}
              nodes={p.tree}
              selected={p.selected}
            />
          </nav>
          <section class="pane" id="artifact-preview" aria-label="Preview" aria-live="polite">
            {p.preview
              ? <PreviewPane p={p.preview} href={p.u.artifact(p.runId, p.preview.path)} />
              : <p class="muted">Select a file to preview it.</p>}
          </section>
        </div>
      )}
    </div>
  );
}
