/**
 * Layout checks for `mlt doctor`, by store kind: a file store's tree is checked by
 * file/file_doctor.ts; other stores have no layout mlt checks (their runs are still checked).
 */
import { fileURLToPath } from "node:url";
import type { LayoutProblem } from "./file/file_doctor.ts";

export type { LayoutProblem };

/** What a layout check found, and how to fix one finding. */
export interface LayoutReport {
  /** The folder that was checked. */
  root: string;
  problems: LayoutProblem[];
  /** Experiment folders holding only run artifacts (MLflow 3's SQLite layout): no problem. */
  artifactFolders: string[];
  fix(p: LayoutProblem): Promise<void>;
}

/** Checks the layout of the store at `storeUri` (a store's `uri`); undefined when not a file store. */
export async function checkStoreLayout(storeUri: string): Promise<LayoutReport | undefined> {
  if (!storeUri.startsWith("file:")) return undefined;
  const { checkFileLayout, fixLayoutProblem } = await import("./file/file_doctor.ts");
  const root = fileURLToPath(storeUri);
  const artifactFolders: string[] = [];
  const problems = checkFileLayout(root, Date.now(), artifactFolders);
  return { root, problems, artifactFolders, fix: fixLayoutProblem };
}
