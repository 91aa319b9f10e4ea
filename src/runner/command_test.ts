import assert from "node:assert/strict";
import { MltError } from "../errors.ts";
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

// ---- hostile values in every quoting context, run by real shells ----

/** Values a user could pass with -P, each trying to create the file PWNED if anything runs. */
const HOSTILE: string[] = [
  "$(touch PWNED)",
  "`touch PWNED`",
  '"; touch PWNED; "',
  "'; touch PWNED; '",
  '\\"; touch PWNED; #',
  "\\'; touch PWNED; #",
  "a\ntouch PWNED",
  "\ntouch PWNED\n",
  "; touch PWNED",
  "&& touch PWNED",
  "| touch PWNED",
  "|| touch PWNED",
  "$HOME",
  "${IFS}touch${IFS}PWNED",
  "!touch PWNED",
  "!!",
  "“; touch PWNED; ”",
  "‘$(touch PWNED)’",
  "a[$(touch PWNED)]",
  "$((1+1))$(touch PWNED)",
  "\\",
  "abc\\",
  '"',
  "'",
  "x'\"$(touch PWNED)\"'y",
  "$'\\x27'; touch PWNED",
  ") ; touch PWNED ; (",
  "} ; touch PWNED ; {",
  "# x\ntouch PWNED",
  "*",
  "~root",
  "-- ; touch PWNED",
  "\\\\$(touch PWNED)",
  "\r\ntouch PWNED",
  "EOF\ntouch PWNED\nEOF",
  "\ttouch\tPWNED",
  "",
  "\\$(touch PWNED)",
  "'\\''$(touch PWNED)'\\''",
  '"$(touch PWNED)"',
  "$(touch PWNED",
  "<(touch PWNED)",
  '$"$(touch PWNED)"',
  "\u00a0; touch PWNED",
  "%s%n",
  "a b  c",
  'it\'s a "test"',
  "/data/with space/file.csv",
];

const strip = (s: string) => s.replace(/\n+$/, "");

/** Templates with one placeholder {v}, and what the shell must print for value v. */
const PLACED: [context: string, template: string, want: (v: string) => string, posix: boolean][] = [
  ["unquoted", "printf '%s' {v}", (v) => v, true],
  ["single quotes", "printf '%s' 'L{v}R'", (v) => `L${v}R`, true],
  ["double quotes", `printf '%s' "L{v}R"`, (v) => `L${v}R`, true],
  ["double quotes, as in the review", `echo "MSG={v}"`, (v) => `MSG=${v}\n`, false],
  ["$(…) unquoted", `printf '%s' "$(printf '%s' {v})"`, (v) => strip(v), true],
  ["$(…) in double quotes", `printf '%s' "A$(printf '%s' "B{v}")"`, (v) => strip(`AB${v}`), true],
  ["single quotes in $(…)", `printf '%s' "$(printf '%s' 'q{v}q')"`, (v) => `q${v}q`, true],
  ["$( $( ) )", `printf '%s' "$(printf '%s' "$(printf '%s' {v})")"`, (v) => strip(v), true],
  ["subshell", "(printf '%s' {v})", (v) => v, true],
  ["assignment", `X={v}; printf '%s' "$X"`, (v) => v, true],
  ["pipe and comment before", "# it's fine\nprintf '%s' {v} | cat", (v) => v, true],
  ["after a backtick pair", "printf '%s' `printf x`{v}", (v) => `x${v}`, true],
  ["after ${{X}}", `X=1; printf '%s' "\${{X}}{v}"`, (v) => `1${v}`, true],
];

/** Templates where no quoting is safe: refused, naming the placeholder. */
const REFUSED: [context: string, template: string, why: RegExp][] = [
  ["backticks", "echo `echo {v}`", /backticks; write \$\(…\)/],
  ["backticks in double quotes", 'echo "`echo {v}`"', /backticks/],
  ["comment", "echo hi # {v}", /comment/],
  ["$'…'", "echo $'{v}'", /\$'…'/],
  ['$"…"', 'echo $"{v}"', /\$"…"/],
  ["${…}", "echo ${{X:-{v}}}", /\$\{…\}/],
  ["$((…))", "echo $(( {v} + 1 ))", /arithmetic/],
  ["((…))", "(( x = {v} ))", /arithmetic/],
  ["[[ … ]]", "[[ 1 -eq {v} ]]", /\[\[ … \]\]/],
  ["array subscript", "a[{v}]=1", /subscript/],
  ["after a backslash", "echo \\{v}", /backslash/],
  ["after a backslash in double quotes", 'echo "\\{v}"', /backslash/],
  ["after $", "echo ${v}", /follows "\$"/],
  ["after $ in double quotes", 'echo "${v}"', /follows "\$"/],
  ["after a here-document", "cat <<EOF\n{v}\nEOF", /here-document/],
  ["after case in $(…)", "echo $(case x in x) echo;; esac) {v}", /case/],
];

async function sh(shell: string, command: string, cwd: string): Promise<string> {
  const out = await new Deno.Command(shell, {
    args: ["-c", command],
    cwd,
    env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", HOME: cwd },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return new TextDecoder().decode(out.stdout);
}

async function inBatches<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += n) await Promise.all(items.slice(i, i + n).map(fn));
}

function pwned(dir: string): boolean {
  return [...Deno.readDirSync(dir)].length > 0;
}

Deno.test("renderCommand(): no hostile value runs anything, in any quoting context", async () => {
  assert.ok(HOSTILE.length >= 20);
  const dir = await Deno.makeTempDir({ prefix: "mlt-quote-" });
  try {
    const cases = PLACED.flatMap(([ctx, template, want, posix]) =>
      HOSTILE.flatMap((v) =>
        (posix ? ["bash", "sh"] : ["bash"]).map((shell) => ({ ctx, template, want, shell, v }))
      )
    );
    await inBatches(cases, 8, async ({ ctx, template, want, shell, v }) => {
      const command = renderCommand(template, new Map([["v", v]]));
      const got = await sh(shell, command, dir);
      const what = `${shell}, ${ctx}, ${JSON.stringify(v)}: ${JSON.stringify(command)}`;
      assert.ok(!pwned(dir), `ran code: ${what}`);
      assert.equal(got, want(v), what);
    });
    for (const [ctx, template, why] of REFUSED) {
      for (const v of HOSTILE) {
        assert.throws(
          () => renderCommand(template, new Map([["v", v]])),
          (e) =>
            e instanceof MltError && e.message.includes('placeholder "{v}"') && why.test(e.message),
          ctx,
        );
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("renderCommand(): unquoted values are quoted exactly as MLflow (shlex.quote) does", () => {
  for (const v of HOSTILE) {
    assert.equal(
      renderCommand("python x.py {v}", new Map([["v", v]])),
      `python x.py ${shellQuote(v)}`,
    );
  }
});

Deno.test("the harness sees injection: shlex quoting inside double quotes runs code", async () => {
  // What MLflow renders for `echo "MSG={msg}"`: the quotes of shlex.quote are literal there.
  const dir = await Deno.makeTempDir({ prefix: "mlt-quote-" });
  try {
    await sh("bash", `echo "MSG=${shellQuote("$(touch PWNED)")}"`, dir);
    assert.ok(pwned(dir));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("renderCommand(): undeclared parameters are appended only after plain code", () => {
  const extras: [string, string][] = [["k", "$(touch PWNED)\n"]];
  assert.equal(
    renderCommand("run {a}\n", new Map([["a", "1"]]), extras),
    "run 1 --k '$(touch PWNED)\n'",
  );
  assert.equal(
    renderCommand("[[ -n x ]] && run", new Map(), extras).endsWith(" --k '$(touch PWNED)\n'"),
    true,
  );
  for (
    const t of ["run # note\n", "run 'open", 'run "open', "run \\", "cat <<EOF\nx\nEOF", "run $(x"]
  ) {
    assert.throws(
      () => renderCommand(t, new Map(), extras),
      /cannot append the undeclared parameter "--k"/,
      JSON.stringify(t),
    );
  }
});
