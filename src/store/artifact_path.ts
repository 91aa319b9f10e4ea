/** Artifact paths as users and servers give them: relative POSIX paths, checked once. */
import { invalidParam } from "../errors.ts";

/** A relative artifact path in POSIX form; refuses `..`, absolute paths, `\` and NUL. */
export function checkArtifactPath(path: string): string {
  const p = path.replace(/^\.\/+/, "").replace(/\/+$/, "");
  if (p === "" || p === ".") return "";
  if (
    p.startsWith("/") || p.includes("\\") || p.includes("\0") ||
    p.split("/").some((s) => s === ".." || s === "." || s === "")
  ) {
    throw invalidParam(`Invalid artifact path "${path}": expected a relative path without ".."`);
  }
  return p;
}
