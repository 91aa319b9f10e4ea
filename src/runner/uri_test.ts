import assert from "node:assert/strict";
import { checkVersion, parseProjectUri } from "./uri.ts";

Deno.test("parseProjectUri() tells local directories from git remotes", () => {
  const table: [string, unknown][] = [
    [".", { kind: "local", path: "/w", subdir: "" }],
    ["proj#sub/dir", { kind: "local", path: "/w/proj", subdir: "sub/dir" }],
    ["'proj'", { kind: "local", path: "/w/proj", subdir: "" }],
    ["file:///abs/p#x", { kind: "local", path: "/abs/p", subdir: "x" }],
    ["/abs/repo.git", { kind: "local", path: "/abs/repo.git", subdir: "" }],
    ["https://github.com/o/r.git#a", {
      kind: "git",
      url: "https://github.com/o/r.git",
      subdir: "a",
    }],
    ["ssh://git@h/o/r", { kind: "git", url: "ssh://git@h/o/r", subdir: "" }],
    ["git@github.com:o/r.git", { kind: "git", url: "git@github.com:o/r.git", subdir: "" }],
  ];
  for (const [uri, want] of table) assert.deepEqual(parseProjectUri(uri, "/w"), want, uri);
});

Deno.test("parseProjectUri() refuses option-like URIs, ext:: and escaping subdirs", () => {
  const table: [string, RegExp][] = [
    ["-oProxyCommand=x", /must not start with "-"/],
    ["ext::sh -c touch% /tmp/pwn", /"ext::" are not allowed/],
    ["fd::3", /"ext::" are not allowed/],
    ["p#sub/../..", /points outside the project/],
    ["p#/etc", /must be relative/],
    ["ftp://h/x", /supported are/],
    ["", /empty/],
    ["a\nb", /control character/],
  ];
  for (const [uri, re] of table) assert.throws(() => parseProjectUri(uri, "/w"), re, uri);
});

Deno.test("checkVersion() accepts refs and refuses option-like versions", () => {
  for (const v of ["main", "v1.2", "feature/x", "0123abc"]) assert.equal(checkVersion(v), v);
  for (const v of ["-x", "--upload-pack=touch /tmp/pwn", "", "a..b", "a b", "x@{1}"]) {
    assert.throws(() => checkVersion(v), /Invalid --version/, v);
  }
});
