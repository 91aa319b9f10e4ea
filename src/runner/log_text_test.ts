import assert from "node:assert/strict";
import { LogCleaner, ScriptFraming } from "./log_text.ts";

function clean(chunks: string[]): string {
  const c = new LogCleaner();
  return chunks.map((t) => c.push(t)).join("") + c.end();
}

Deno.test("LogCleaner keeps what a terminal finally shows, minus escape codes", () => {
  const table: [string[], string][] = [
    [["plain\nlines\n"], "plain\nlines\n"],
    [["crlf\r\nends\r\n"], "crlf\nends\n"],
    [["  0%|   | 0/10\r 50%|#  | 5/10\r100%|###| 10/10\n"], "100%|###| 10/10\n"],
    [["bar 1\r", "bar 2\r", "\n"], "bar 2\n"],
    [["\x1b[31mred\x1b[0m and \x1b[1;32mgreen\x1b[m\n"], "red and green\n"],
    [["split \x1b[3", "1mescape\x1b", "[0m\n"], "split escape\n"],
    [["\x1b]0;window title\x07title gone\n"], "title gone\n"],
    [["\x1b(Bcharset\x1b=\n"], "charset\n"],
    [["abc\b\bX\n"], "aX\n"],
    [["bell\x07 and nul\x00 dropped\ttab kept\n"], "bell and nul dropped\ttab kept\n"],
    [["no final newline"], "no final newline\n"],
    [["\x1b[2K\rclear line\n"], "clear line\n"],
    [[""], ""],
  ];
  for (const [chunks, want] of table) assert.equal(clean(chunks), want, JSON.stringify(chunks));
});

Deno.test("LogCleaner cuts endless lines", () => {
  const c = new LogCleaner();
  const out = c.push("x".repeat(200_000));
  assert.ok(out.length >= 128 * 1024 && out.endsWith("\n"));
});

Deno.test("ScriptFraming drops util-linux script's header and trailer", () => {
  const raw =
    'Script started on 2026-01-01 10:00:00+00:00 [COMMAND="x" <not executed on terminal>]\n' +
    "hi\r\n 50%\r100%\r\nlast line\r\n" +
    '\nScript done on 2026-01-01 10:00:01+00:00 [COMMAND_EXIT_CODE="0"]\n';
  for (const size of [1, 7, 64, raw.length]) {
    const f = new ScriptFraming();
    let out = "";
    for (let i = 0; i < raw.length; i += size) out += f.push(raw.slice(i, i + size));
    out += f.end();
    assert.equal(out, "hi\r\n 50%\r100%\r\nlast line\r\n", `chunks of ${size}`);
  }
  const partial = new ScriptFraming();
  assert.equal(partial.push("Script started on x\nno newline yet"), "");
  assert.equal(partial.end(), "no newline yet");
});
