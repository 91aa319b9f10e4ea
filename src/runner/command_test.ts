import assert from "node:assert/strict";
import { renderCommand, shellQuote } from "./command.ts";

Deno.test("shellQuote() matches Python's shlex.quote", () => {
  const table: [string, string][] = [
    ["", "''"],
    ["abc", "abc"],
    ["a-b_c.d/e:f,g+h=i@j%k", "a-b_c.d/e:f,g+h=i@j%k"],
    ["hello world", "'hello world'"],
    ["it's", `'it'"'"'s'`],
    ["é", "'é'"],
    ["0.1; touch /tmp/pwn", "'0.1; touch /tmp/pwn'"],
    ["$(id)", "'$(id)'"],
    ["`id`", "'`id`'"],
    ["a\nb", "'a\nb'"],
    ["-x", "-x"],
  ];
  for (const [input, want] of table) assert.equal(shellQuote(input), want, input);
});

Deno.test("renderCommand() substitutes quoted values and appends extras", () => {
  const values = new Map([["greeting", "hi"], ["name", "friend"]]);
  assert.equal(
    renderCommand("python greeter.py {greeting} {name}", values, [["excitement", "10"]]),
    "python greeter.py hi friend --excitement 10",
  );
  assert.equal(
    renderCommand("echo {name}", new Map([["name", "friend; echo 'hi'"]])),
    `echo 'friend; echo '"'"'hi'"'"''`,
  );
  assert.equal(renderCommand("echo {{x}} }}{{", new Map()), "echo {x} }{");
  assert.equal(renderCommand("run \\\n  x\n", new Map(), [["k", "a b"]]), "run \\\n  x --k 'a b'");
});

Deno.test("renderCommand() refuses anything but {name}", () => {
  const values = new Map([["a", "1"]]);
  for (
    const t of ["{nope}", "{a!r}", "{a.__class__}", "{a[0]}", "{a:>10}", "{}", "x { y", "x } y"]
  ) {
    assert.throws(() => renderCommand(t, values), /Cannot render the command of entry point/, t);
  }
});
