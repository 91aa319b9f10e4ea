/**
 * POSIX path and `file:` URL helpers with `node:path` / `node:url` semantics, for the modules a
 * server loads before its first answer. Importing any Node module (or touching the `process`
 * global) makes Deno set up Node compatibility: 8–22 ms of CPU and ~3–4 MB at every start
 * (docs/startup.md). npm's path libraries touch `process` at import (pathe, path-unified) or are
 * CommonJS, which loads the same machinery; so these few functions are written on strings and the
 * web `URL`, and tests/posix_path_test.ts checks them against `node:path` and `node:url`.
 */

/** The path separator (`node:path`'s `sep` on POSIX). */
export const sep = "/";

/** True for a path that starts at the root. */
export function isAbsolute(path: string): boolean {
  return path.startsWith("/");
}

// The segments of `path` with "", "." and resolvable ".." removed; ".." above the start is kept
// only for a relative path (an absolute one stops at the root).
function segments(path: string, relative: boolean): string[] {
  const out: string[] = [];
  for (const s of path.split("/")) {
    if (s === "" || s === ".") continue;
    if (s !== "..") out.push(s);
    else if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
    else if (relative) out.push("..");
  }
  return out;
}

/** `path` without "." and ".." segments or repeated slashes; a trailing slash stays. */
export function normalize(path: string): string {
  if (path === "") return ".";
  const absolute = isAbsolute(path);
  let out = segments(path, !absolute).join("/");
  if (out === "" && !absolute) out = ".";
  if (out !== "" && path.endsWith("/")) out += "/";
  return absolute ? `/${out}` : out;
}

/** The non-empty parts joined with "/" and normalized ("." when all are empty). */
export function join(...parts: string[]): string {
  const joined = parts.filter((p) => p !== "").join("/");
  return joined === "" ? "." : normalize(joined);
}

/**
 * The absolute path the parts name, read right to left until one is absolute; the working
 * directory (`Deno.cwd()`) when none is. No trailing slash but the root's.
 */
export function resolve(...parts: string[]): string {
  let path = "";
  for (let i = parts.length - 1; i >= 0 && !isAbsolute(path); i--) {
    if (parts[i] !== "") path = path === "" ? parts[i] : `${parts[i]}/${path}`;
  }
  if (!isAbsolute(path)) path = path === "" ? Deno.cwd() : `${Deno.cwd()}/${path}`;
  return `/${segments(path, false).join("/")}`;
}

/** The folder part of `path`, as `node:path`'s dirname (repeated slashes before the name stay). */
export function dirname(path: string): string {
  if (path === "") return ".";
  const rooted = isAbsolute(path);
  let end = path.length;
  while (end > 1 && path[end - 1] === "/") end--; // trailing slashes are not a separator
  const slash = path.lastIndexOf("/", end - 1);
  if (slash < 1) return rooted ? "/" : ".";
  return rooted && slash === 1 ? "//" : path.slice(0, slash);
}

/** The relative path from `from` to `to` (both resolved first); "" for the same place. */
export function relative(from: string, to: string): string {
  const a = segments(resolve(from), false), b = segments(resolve(to), false);
  let common = 0;
  while (common < a.length && common < b.length && a[common] === b[common]) common++;
  return [...a.slice(common).map(() => ".."), ...b.slice(common)].join("/");
}

/** The local path a `file:` URL names; throws TypeError as `node:url` does on another host. */
export function fileURLToPath(url: string | URL): string {
  const u = typeof url === "string" ? new URL(url) : url;
  if (u.protocol !== "file:") throw new TypeError("The URL must be of scheme file");
  if (u.hostname !== "") {
    throw new TypeError(`File URL host must be "localhost" or empty on ${Deno.build.os}`);
  }
  if (/%2f/i.test(u.pathname)) {
    throw new TypeError("File URL path must not include encoded / characters");
  }
  return decodeURIComponent(u.pathname);
}

/** The `file:` URL of a path (resolved first; a trailing slash stays). */
export function pathToFileURL(path: string): URL {
  let resolved = resolve(path);
  if (path.endsWith("/") && resolved !== "/") resolved += "/";
  const url = new URL("file://");
  // The pathname setter escapes the rest; these it would keep (node:url escapes them too).
  url.pathname = resolved.replace(
    /[%\\\n\r\t[\]^|~]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`,
  );
  return url;
}
