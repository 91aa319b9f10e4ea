import assert from "node:assert/strict";
import { scriptCommand } from "./process.ts";

Deno.test("scriptCommand() quotes the argv for /bin/sh and restores the user's SHELL", () => {
  assert.equal(
    scriptCommand(["bash", "-c", "echo 'hi' $X"], "/usr/bin/fish"),
    `exec env SHELL=/usr/bin/fish bash -c 'echo '"'"'hi'"'"' $X'`,
  );
  assert.equal(scriptCommand(["bash", "-c", "true"], undefined), "exec env -u SHELL bash -c true");
});

Deno.test("scriptCommand() output runs the argv exactly under /bin/sh", async () => {
  const argv = ["printf", "%s|", "a b", "$(touch /nonexistent/x)", "`id`", "it's", ""];
  const out = await new Deno.Command("/bin/sh", {
    args: ["-c", scriptCommand(argv, "/bin/zsh") + "; "],
    stdout: "piped",
  }).output();
  assert.equal(new TextDecoder().decode(out.stdout), "a b|$(touch /nonexistent/x)|`id`|it's||");
});
