/**
 * Project URIs (reference §2.4): split off `#subdir`, tell local directories from git remotes,
 * refuse what could turn into a git option or transport (`ext::`, leading `-`). Pure: no Deno.*.
 */
import { fileURLToPath } from "node:url";
import { resolve } from "node:path";
import { usageError } from "./params.ts";
import { checkProjectRelative } from "./spec.ts";

/** Where a project comes from. */
export type ProjectSource =
  | { kind: "local"; path: string; subdir: string }
  | { kind: "git"; url: string; subdir: string };

const GIT_URL = /^(https?:\/\/|ssh:\/\/|git:\/\/|git\+ssh:\/\/|git\+https:\/\/)/i;
const SCP_LIKE = /^[A-Za-z0-9._~-]+@[A-Za-z0-9.-]+:[^\s]/;

/** Parses a project URI relative to `cwd`; `#subdir` must stay inside the project. */
export function parseProjectUri(raw: string, cwd: string): ProjectSource {
  const uri = raw.replace(/^(['"])(.*)\1$/, "$2");
  if (uri === "") throw usageError("The project URI is empty");
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x1f]/.test(uri)) throw usageError("The project URI contains a control character");
  const hash = uri.indexOf("#");
  const base = hash < 0 ? uri : uri.slice(0, hash);
  let subdir = "";
  if (hash >= 0) {
    const sub = uri.slice(hash + 1);
    subdir = checkProjectRelative(
      sub,
      `subdirectory "${sub}"`,
      (why) => usageError(`Invalid project URI "${uri}": ${why}`),
    );
    if (subdir === ".") subdir = "";
  }
  if (base.startsWith("-")) {
    throw usageError(`Invalid project URI "${uri}": it must not start with "-"`);
  }
  if (/^[A-Za-z][A-Za-z0-9+.-]*::/.test(base) || /^(ext|fd)::/i.test(base)) {
    throw usageError(`Invalid project URI "${uri}": git transports like "ext::" are not allowed`);
  }
  if (/^file:/i.test(base)) {
    return {
      kind: "local",
      path: fileURLToPath(
        base.startsWith("file://") ? base : `file://${resolve(cwd, base.slice(5))}`,
      ),
      subdir,
    };
  }
  if (GIT_URL.test(base)) return { kind: "git", url: base, subdir };
  if (SCP_LIKE.test(base) && !base.startsWith("/") && !base.startsWith(".")) {
    // git@host:path — the host part must not look like an option (ssh -oProxyCommand=…).
    return { kind: "git", url: base, subdir };
  }
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(base)) {
    throw usageError(
      `Invalid project URI "${uri}": supported are local paths, file://, https://, ssh:// and ` +
        `git@host:path`,
    );
  }
  return { kind: "local", path: resolve(cwd, base), subdir };
}

/** Checks a `--version` (branch, tag or commit) before it reaches git. */
export function checkVersion(version: string): string {
  // deno-lint-ignore no-control-regex
  if (version === "" || version.startsWith("-") || /[\x00-\x20~^:?*\[\\]|\.\.|@\{/.test(version)) {
    throw usageError(`Invalid --version "${version}": expected a branch, tag or commit`);
  }
  return version;
}
