import assert from "node:assert/strict";
import { globToRegExp } from "./security.ts";

Deno.test("globToRegExp() matches like fnmatch", () => {
  const cases: [string, string, boolean][] = [
    ["*.example.com", "a.example.com", true],
    ["*.example.com", "example.com", false],
    ["10.*", "10.1.2.3:5000", true],
    ["[[]::1]:*", "[::1]:80", true],
    ["host:?0", "host:80", true],
    ["a.b", "axb", false],
  ];
  for (const [pattern, s, expected] of cases) {
    assert.equal(globToRegExp(pattern).test(s), expected, pattern);
  }
});
