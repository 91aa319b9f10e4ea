import assert from "node:assert/strict";
import { MltError } from "../errors.ts";
import { decodePageToken, encodePageToken, pyBytesRepr, pyRepr } from "./page_token.ts";

function rejects(token: string, message: string): void {
  assert.throws(() => decodePageToken(token), (e: unknown) => {
    assert.ok(e instanceof MltError);
    assert.equal(e.code, "INVALID_PARAMETER_VALUE");
    assert.equal(e.message, message);
    return true;
  });
}

Deno.test("encodePageToken() writes MLflow's exact bytes", () => {
  const table: [number, string][] = [
    // base64.b64encode(json.dumps({"offset": N}).encode()) in Python
    [1000, "eyJvZmZzZXQiOiAxMDAwfQ=="],
    [1, "eyJvZmZzZXQiOiAxfQ=="],
    [100, "eyJvZmZzZXQiOiAxMDB9"],
    [50000, "eyJvZmZzZXQiOiA1MDAwMH0="],
  ];
  for (const [offset, token] of table) assert.equal(encodePageToken(offset), token);
  assert.equal(atob(encodePageToken(7)), '{"offset": 7}');
});

Deno.test("decodePageToken() round-trips offsets", () => {
  for (const n of [1, 2, 999, 1000, 50000, 123456789, Number.MAX_SAFE_INTEGER]) {
    assert.equal(decodePageToken(encodePageToken(n)), n);
  }
});

Deno.test("decodePageToken() is 0 without a token", () => {
  assert.equal(decodePageToken(undefined), 0);
  assert.equal(decodePageToken(""), 0);
});

Deno.test("decodePageToken() reads tokens Python would accept", () => {
  const table: [string, number][] = [
    [btoa('{"offset":5}'), 5],
    [btoa('{"offset": "12"}'), 12],
    [btoa('{"offset": 2.9}'), 2],
    [btoa('{"offset": 3, "other": 1}'), 3],
    // Python's b64decode drops characters outside the alphabet.
    ["eyJvZmZz\nZXQiOiAxMDAwfQ==", 1000],
    ["eyJvZmZzZXQiOiAxMDAwfQ==!", 1000],
    // Excess padding is ignored and a complete padding sequence ends the input.
    ["eyJvZmZzZXQiOiAxMDAwfQ===", 1000],
    ["eyJvZmZzZXQiOiAxMDAwfQ==eyJv", 1000],
    [btoa('{"offset": 12}') + "=", 12],
  ];
  for (const [token, offset] of table) assert.equal(decodePageToken(token), offset, token);
});

Deno.test("decodePageToken() rejects bad tokens with MLflow's messages", () => {
  const table: [string, string][] = [
    ["abc", "Invalid page token, could not base64-decode"],
    ["a", "Invalid page token, could not base64-decode"],
    ["YWJj=", "Invalid page token, decoded value=b'abc'"],
    ["YQ===", "Invalid page token, decoded value=b'a'"],
    ["YQ", "Invalid page token, could not base64-decode"],
    ["YQ=", "Invalid page token, could not base64-decode"],
    ["YWJj", "Invalid page token, decoded value=b'abc'"],
    ["!!!", "Invalid page token, decoded value=b''"],
    [btoa("{'offset': 1}"), `Invalid page token, decoded value=b"{'offset': 1}"`],
    [btoa("\u00ff\n"), "Invalid page token, decoded value=b'\\xff\\n'"],
    [btoa('{"offset": 0}'), "Invalid page token, parsed value={'offset': 0}"],
    [btoa('{"offset": null}'), "Invalid page token, parsed value={'offset': None}"],
    [btoa('{"offset": -5}'), "Invalid page token, parsed value={'offset': -5}"],
    [btoa('{"offset": true}'), "Invalid page token, parsed value={'offset': True}"],
    [btoa('{"offset": ""}'), "Invalid page token, not stringable "],
    [btoa('{"offset": "x"}'), "Invalid page token, not stringable x"],
    [btoa('{"other": 1}'), "Invalid page token, parsed value={'other': 1}"],
    [btoa("[1]"), "Invalid page token, parsed value=[1]"],
    [btoa("5"), "Invalid page token, parsed value=5"],
    [btoa('"s"'), "Invalid page token, parsed value='s'"],
  ];
  for (const [token, message] of table) rejects(token, message);
});

Deno.test("pyBytesRepr() and pyRepr() follow Python's repr()", () => {
  const bytes: [string, string][] = [
    ["abc", "b'abc'"],
    ["it's", `b"it's"`],
    [`'"`, `b'\\'"'`],
    ["a\\b\t\r\n\x00\x7f", "b'a\\\\b\\t\\r\\n\\x00\\x7f'"],
  ];
  for (const [s, repr] of bytes) {
    assert.equal(pyBytesRepr(Uint8Array.from(s, (c) => c.charCodeAt(0))), repr);
  }
  const values: [unknown, string][] = [
    [null, "None"],
    [false, "False"],
    [1.5, "1.5"],
    ["it's", `"it's"`],
    [`'"`, `'\\'"'`],
    [{ a: [1, "b"], c: {} }, "{'a': [1, 'b'], 'c': {}}"],
  ];
  for (const [v, repr] of values) assert.equal(pyRepr(v), repr);
});
