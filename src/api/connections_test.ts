import assert from "node:assert/strict";
import { connectionCap, DEFAULT_MAX_CONNECTIONS } from "./connections.ts";

Deno.test("connectionCap() leaves room under the open-file limit", () => {
  const cases: [number | undefined, number | undefined, number][] = [
    [undefined, undefined, DEFAULT_MAX_CONNECTIONS],
    [undefined, 20_000, DEFAULT_MAX_CONNECTIONS],
    [undefined, 1024, 806],
    [undefined, 256, 115],
    [50, 256, 50],
    [5000, 4096, 3571],
    [undefined, 100, 8],
  ];
  for (const [wanted, fds, expected] of cases) {
    assert.equal(connectionCap(wanted, fds), expected, `${wanted} / ${fds}`);
  }
});

Deno.test("Deno raises the soft open-file limit to the hard one at start (the cap relies on it)", async () => {
  const out = await new Deno.Command("bash", {
    args: [
      "-c",
      `ulimit -S -n 512 && exec "${Deno.execPath()}" eval ` +
      `'console.log(Deno.readTextFileSync("/proc/self/limits"))'`,
    ],
  }).output();
  const line = new TextDecoder().decode(out.stdout).split("\n")
    .find((l) => l.startsWith("Max open files"))!;
  const [soft, hard] = line.split(/\s{2,}/).slice(1, 3);
  assert.equal(soft, hard, line);
});
