import assert from "node:assert/strict";
import {
  appendUriPath,
  experimentDir,
  experimentTagPath,
  fileUriFromPath,
  isExperimentDirName,
  isRunDirName,
  resolveUriIfLocal,
  runFilePath,
  storeRelative,
} from "./layout.ts";

Deno.test("isExperimentDirName() accepts ids and refuses reserved and odd names", () => {
  const table: [string, boolean][] = [
    ["0", true],
    ["412846502151389845", true],
    [".trash", false],
    ["models", false],
    [".DS_Store", false],
    ["a b", false],
    ["..", false],
    ["notes", true],
  ];
  for (const [name, want] of table) assert.equal(isExperimentDirName(name), want, name);
});

Deno.test("isRunDirName() refuses experiment sub-folders", () => {
  const table: [string, boolean][] = [
    ["5f2b0c7e6a0b4d0c9a3e1f2a3b4c5d6e", true],
    ["tags", false],
    ["datasets", false],
    ["traces", false],
    ["models", false],
    ["meta.yaml", false],
    [".mlt-tmp-1234", false],
  ];
  for (const [name, want] of table) assert.equal(isRunDirName(name), want, name);
});

Deno.test("paths of entities", () => {
  assert.equal(experimentDir("/r", "1", false), "/r/1");
  assert.equal(experimentDir("/r", "1", true), "/r/.trash/1");
  assert.equal(runFilePath("/r/1/abc", "metrics", "a/b"), "/r/1/abc/metrics/a/b");
  assert.equal(runFilePath("/r/1/abc", "params", "lr"), "/r/1/abc/params/lr");
  assert.equal(experimentTagPath("/r/1", "x/y"), "/r/1/tags/x/y");
  assert.equal(storeRelative("/r", "/r/1/meta.yaml"), "1/meta.yaml");
});

Deno.test("fileUriFromPath() percent-encodes like Python's Path.as_uri()", () => {
  const table: [string, string][] = [
    ["/home/u/mlruns", "file:///home/u/mlruns"],
    ["/a b/c", "file:///a%20b/c"],
    ["/x(1)/y!", "file:///x%281%29/y%21"],
    ["/ü", "file:///%C3%BC"],
    ["/a~b_c-d.e", "file:///a~b_c-d.e"],
  ];
  for (const [path, want] of table) assert.equal(fileUriFromPath(path), want, path);
});

Deno.test("appendUriPath() joins without doubling slashes", () => {
  assert.equal(appendUriPath("file:///r/1", "abc", "artifacts"), "file:///r/1/abc/artifacts");
  assert.equal(appendUriPath("s3://b/p/", "abc"), "s3://b/p/abc");
  assert.equal(appendUriPath("https://h/p?x=1", "a"), "https://h/p/a?x=1");
});

Deno.test("resolveUriIfLocal() makes local locations absolute", () => {
  const table: [string, string][] = [
    ["art", "/cwd/art"],
    ["/abs/art", "/abs/art"],
    ["file:rel", "file:///cwd/rel"],
    ["file:///abs", "file:///abs"],
    ["s3://bucket/x", "s3://bucket/x"],
  ];
  for (const [uri, want] of table) assert.equal(resolveUriIfLocal(uri, "/cwd"), want, uri);
});
