import assert from "node:assert/strict";
import { ShellLexer, type Slot } from "./shell_lexer.ts";

// The state after `text` (a placeholder would stand at its end).
function slotAfter(text: string): string {
  const l = new ShellLexer();
  l.text(text);
  const s: Slot = l.slot();
  return "context" in s ? s.context : `refused: ${s.refused.split(/[;,]/)[0]}`;
}

Deno.test("ShellLexer follows bash's quoting states", () => {
  const table: [string, string][] = [
    ["echo ", "unquoted"],
    ["echo a", "unquoted"],
    ["echo 'a", "single"],
    ["echo 'a' ", "unquoted"],
    ['echo "a', "double"],
    ['echo "a\\"', "double"],
    ['echo "a" ', "unquoted"],
    ["echo \"it's ", "double"],
    ["echo 'say \"", "single"],
    ['echo "$(', "unquoted"],
    ['echo "$(echo "', "double"],
    ["echo \"$(echo '", "single"],
    ['echo "$(echo x)', "double"],
    ["echo $(echo (a) ", "unquoted"],
    ["echo $(echo x) '", "single"],
    ["echo `date` ", "unquoted"],
    ['echo `date` "', "double"],
    ["# it's a comment\necho ", "unquoted"],
    ["echo a#'b ", "single"],
    ["echo $# '", "single"],
    ["echo ${HOME}/", "unquoted"],
    ["echo $((1 + (2 * 3))) ", "unquoted"],
    ["[[ -n x ]] && echo ", "unquoted"],
    ["echo data[0-9] ", "unquoted"],
    ["echo <(cat) ", "unquoted"],
    ["echo a\\\nb ", "unquoted"],
    ["echo $'it\\'s' ", "unquoted"],
    ['echo "a\r#" \'', "single"],
    ["echo a\r#'", "single"],
    ["echo `", "refused: is inside backticks"],
    ['echo "`', "refused: is inside backticks"],
    ["echo # ", "refused: is inside a comment"],
    ["echo $'", "refused: is inside $'…'"],
    ['echo $"', 'refused: is inside $"…"'],
    ["echo ${X:-", "refused: is inside ${…}"],
    ["echo $(( ", "refused: is inside an arithmetic expression ($((…)) or ((…)))"],
    ["(( ", "refused: is inside an arithmetic expression ($((…)) or ((…)))"],
    ["[[ 1 -eq ", "refused: is inside [[ … ]]"],
    ["a[", "refused: is inside [ … ] within a word (an array subscript or a glob)"],
    ["echo \\", "refused: follows a backslash"],
    ['echo "\\', "refused: follows a backslash"],
    ["echo $", 'refused: follows "$"'],
    ['echo "$', 'refused: follows "$"'],
    ["cat <<EOF\n", 'refused: comes after a here-document ("<<")'],
    ["cat <<<x ", "unquoted"],
    ["echo $(case x in x) echo;; esac) ", 'refused: comes after "case" inside parentheses'],
    ["case x in x) echo ", "unquoted"],
    ["echo ${X:-'a'} ", "refused: comes after a ${…} holding quotes or expansions"],
    [
      "echo $(( $(x) )) ",
      "refused: comes after an arithmetic expression holding quotes or expansions",
    ],
  ];
  for (const [text, want] of table) assert.equal(slotAfter(text), want, JSON.stringify(text));
});

Deno.test("ShellLexer.endProblem() says when text may not be appended", () => {
  const table: [string, string | undefined][] = [
    ["run x", undefined],
    ["run 'x' \"y\" $(z) `w`", undefined],
    ["[[ -n x ]]", undefined],
    ["run # c", "the command ends inside a comment"],
    ["run 'x", "the command ends inside quotes, brackets or parentheses"],
    ["run $(x", "the command ends inside quotes, brackets or parentheses"],
    ["run \\", "the command ends with a backslash"],
    ["cat <<EOF\nx\nEOF", 'the command contains a here-document ("<<")'],
  ];
  for (const [text, want] of table) {
    const l = new ShellLexer();
    l.text(text);
    assert.equal(l.endProblem(), want, JSON.stringify(text));
  }
});
