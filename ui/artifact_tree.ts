/**
 * The run page's artifact tree: the root listing with every directory on the way to the chosen
 * path open, and the chosen file's preview; and the pieces the client script fetches to open a
 * directory or preview a file without reloading the page.
 */
import type { Context, Hono } from "hono";
import { h } from "preact";
import type { Run } from "../src/model.ts";
import type { TrackingStore } from "../src/store/store.ts";
import { type ArtifactAccess, artifactHref, parentOf, preview } from "./artifact_view.ts";
import {
  ArtifactList,
  type ArtifactNode,
  type ArtifactsProps,
  PreviewPane,
} from "./components/artifacts.tsx";
import type { ChartView } from "./components/chart_controls.tsx";
import { checkRunId } from "./data.ts";
import { fragment } from "./render.ts";
import type { Urls } from "./urls.ts";

/** The artifact browser's props for a run and the `artifact` query value (a dir or a file). */
export async function loadArtifactTree(
  access: ArtifactAccess | undefined,
  u: Urls,
  run: Run,
  selected: string,
  view: ChartView,
): Promise<Omit<ArtifactsProps, "u" | "runId">> {
  const runId = run.info.runId;
  const hrefFor = artifactHref(u, run, view);
  const path = selected.replace(/^\/+|\/+$/g, "");
  if (!access) {
    return { hrefFor, tree: [], selected: path, error: "Artifacts are not available here." };
  }
  try {
    const tree: ArtifactNode[] = await access.list(runId, "");
    // Open each directory on the way to the chosen path.
    const parts = path ? path.split("/") : [];
    let level = tree;
    let chosen: ArtifactNode | undefined;
    for (let i = 0; i < parts.length; i++) {
      const at = parts.slice(0, i + 1).join("/");
      chosen = level.find((n) => n.path === at);
      if (!chosen) {
        return { hrefFor, tree, selected: path, error: `No artifact "${path}"` };
      }
      if (!chosen.isDir) break;
      chosen.children = await access.list(runId, at);
      level = chosen.children;
    }
    const file = chosen && !chosen.isDir ? chosen : undefined;
    return {
      hrefFor,
      tree,
      selected: path,
      preview: file ? await preview((f, n) => access.read(runId, f, n), file.path) : undefined,
    };
  } catch (e) {
    return { hrefFor, tree: [], selected: path, error: (e as Error).message };
  }
}

/**
 * `/_mlt/artifact?run=<id>&path=<p>`: a file's preview pane as `{html}`, or with `list=1` a
 * directory's entries as the tree's `<ul>`.
 */
export function artifactRoutes(
  app: Hono,
  store: TrackingStore,
  access: ArtifactAccess | undefined,
  u: Urls,
): void {
  app.get("/_mlt/artifact", async (c: Context) => {
    const run = await store.getRun(checkRunId(c.req.query("run") ?? ""));
    const runId = run.info.runId;
    const path = (c.req.query("path") ?? "").replace(/^\/+|\/+$/g, "");
    const headers = { "cache-control": "no-store" };
    if (!access) {
      const html = fragment(h("p", { class: "muted" }, "Artifacts are not available here."));
      return c.json({ html }, 200, headers);
    }
    const hrefFor = artifactHref(u, run, { x: "step", y: "linear", smooth: 0 });
    if (c.req.query("list") === "1") {
      const nodes = await access.list(runId, path);
      const html = fragment(h(ArtifactList, { u, runId, hrefFor, nodes, selected: "" }));
      return c.json({ html }, 200, headers);
    }
    const siblings = await access.list(runId, parentOf(path));
    if (!siblings.some((e) => e.path === path && !e.isDir)) {
      const html = fragment(h("p", { class: "error" }, `No artifact file "${path}"`));
      return c.json({ html }, 404, headers);
    }
    const p = await preview((f, n) => access.read(runId, f, n), path);
    const html = fragment(h(PreviewPane, { p, href: u.artifact(runId, p.path) }));
    return c.json({ html }, 200, headers);
  });
}
