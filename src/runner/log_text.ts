/**
 * Turns terminal output into a log that reads well: colour and cursor escape codes dropped, a
 * carriage return starts the line over (so a progress bar leaves only its last state), CRLF is one
 * line end, backspaces erase. Streaming and pure: no Deno.*.
 */

/** Longest line kept in memory before it is written out as it is. */
export const MAX_LINE_CHARS = 64 * 1024;

const ESC = "\x1b";

/** A streaming cleaner for one output stream. */
export class LogCleaner {
  #line = "";
  #cr = false;
  // An escape sequence cut by a chunk boundary.
  #esc = "";

  /** Feeds text; returns the lines it completed, each ending in "\n". */
  push(text: string): string {
    let out = "";
    let s = this.#esc + text;
    this.#esc = "";
    let i = 0;
    while (i < s.length) {
      const c = s[i];
      if (c === ESC) {
        const end = escapeEnd(s, i);
        if (end < 0) {
          this.#esc = s.slice(i);
          s = "";
          break;
        }
        i = end;
        continue;
      }
      if (c === "\n") {
        out += this.#line + "\n";
        this.#line = "";
        this.#cr = false;
      } else if (c === "\r") {
        this.#cr = true;
      } else if (c === "\b") {
        this.#line = this.#line.slice(0, -1);
      } else if (c >= " " || c === "\t") {
        if (this.#cr) {
          this.#line = "";
          this.#cr = false;
        }
        this.#line += c;
        if (this.#line.length >= MAX_LINE_CHARS) {
          out += this.#line + "\n";
          this.#line = "";
        }
      }
      // Other control characters (BEL, NUL, …) are dropped.
      i++;
    }
    return out;
  }

  /** Ends the stream: the unfinished line, if any, as a last line. */
  end(): string {
    const line = this.#line;
    this.#line = "";
    this.#esc = "";
    this.#cr = false;
    return line ? line + "\n" : "";
  }
}

/**
 * The index just past the escape sequence starting at `i`, or -1 when the text ends inside it.
 * CSI (`ESC [ … final`), OSC and other string sequences (`ESC ] … BEL` or `ESC \`), and
 * two-or-three-character sequences (`ESC ( B`, `ESC =`).
 */
export function escapeEnd(s: string, i: number): number {
  if (i + 1 >= s.length) return -1;
  const kind = s[i + 1];
  if (kind === "[") {
    for (let j = i + 2; j < s.length; j++) {
      const code = s.charCodeAt(j);
      if (code >= 0x40 && code <= 0x7e) return j + 1;
      if (code < 0x20 || code > 0x7e) return j; // malformed: drop the prefix
    }
    return s.length - i > 64 ? s.length : -1;
  }
  if (kind === "]" || kind === "P" || kind === "_" || kind === "^" || kind === "X") {
    for (let j = i + 2; j < s.length; j++) {
      if (s[j] === "\x07") return j + 1;
      if (s[j] === ESC && j + 1 < s.length && s[j + 1] === "\\") return j + 2;
    }
    return s.length - i > 4096 ? s.length : -1;
  }
  let j = i + 1;
  while (j < s.length && s.charCodeAt(j) >= 0x20 && s.charCodeAt(j) <= 0x2f) j++;
  if (j >= s.length) return -1;
  return j + 1;
}

const SCRIPT_HEADER = /^Script started on [^\n]*\n/;
const SCRIPT_TRAILER = /\n?Script done on [^\n]*\n?$/;

/**
 * util-linux `script` frames its log with a "Script started on …" line and a bare-LF
 * "Script done on …" line; everything the child wrote comes through the pty with CRLF endings.
 * This hands on the child's output only: whole CRLF lines as they come, the rest at the end.
 */
export class ScriptFraming {
  #pending = "";
  #headerDone = false;

  /** Feeds raw log text; returns what is certainly the child's output. */
  push(text: string): string {
    this.#pending += text;
    if (!this.#headerDone) {
      const nl = this.#pending.indexOf("\n");
      if (nl < 0 && this.#pending.length < 4096) return "";
      this.#headerDone = true;
      this.#pending = this.#pending.replace(SCRIPT_HEADER, "");
    }
    // The trailer can only follow the child's last CRLF; keep what comes after it.
    let cut = this.#pending.lastIndexOf("\r\n") + 2;
    if (cut < 2) cut = 0;
    // A long progress bar without line ends: let most of it through, keep a tail for the trailer.
    if (this.#pending.length - cut > MAX_LINE_CHARS) cut = this.#pending.length - 256;
    const out = this.#pending.slice(0, cut);
    this.#pending = this.#pending.slice(cut);
    return out;
  }

  /** Ends the stream: the rest, without the trailer. */
  end(): string {
    let rest = this.#pending;
    if (!this.#headerDone) rest = rest.replace(SCRIPT_HEADER, "");
    this.#pending = "";
    this.#headerDone = true;
    return rest.replace(SCRIPT_TRAILER, "");
  }
}
