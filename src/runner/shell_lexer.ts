/**
 * The quoting state of bash at each placeholder of an MLproject command, so a value can be quoted
 * for where it lands: unquoted, inside '…' or inside "…" (at any depth of `$(…)`). Every other
 * place (backticks, `$'…'`, `${…}`, arithmetic, `[[ … ]]`, subscripts, comments, after `\` or `$`)
 * is refused, as is anything after a construct the lexer does not follow (here-documents, `case`
 * inside parentheses, unusual `${…}` or `$((…))`). Pure: no Deno.*.
 */

/** Where a value can be placed and quoted safely. */
export type QuoteContext = "unquoted" | "single" | "double";

/** The state at a placeholder: a context to quote for, or why no value may go there. */
export type Slot = { context: QuoteContext } | { refused: string };

type Frame =
  | { kind: "code"; sub: "top" | "paren" | "test" }
  | { kind: "single" | "ansi" | "backtick" | "comment" | "param" }
  | { kind: "double"; locale: boolean }
  | { kind: "arith"; depth: number };

// bash's metacharacters: exactly these end a word (not \r, not other Unicode spaces).
const BOUNDARY = /[ \t\n;&|<>()]/;
const DQ_ESCAPABLE = '$`"\\\n';

const WHY: Record<string, string> = {
  single: "",
  ansi: "is inside $'…'; use '…' or \"…\" instead",
  locale: 'is inside $"…"; use "…" instead',
  backtick: "is inside backticks; write $(…) instead",
  comment: "is inside a comment; take it out of the comment",
  param: "is inside ${…}; place it outside the expansion",
  arith: "is inside an arithmetic expression ($((…)) or ((…))), which evaluates its value as " +
    "code; pass it to a program as an argument instead",
  test: "is inside [[ … ]], where bash evaluates operands of -eq, -lt, … as arithmetic (which " +
    "can run commands); use [ … ] instead",
  bracket: "is inside [ … ] within a word (an array subscript or a glob), which bash may " +
    "evaluate as arithmetic; place it in a word of its own",
  backslash: "follows a backslash, which would escape the first character of its value; " +
    "remove the backslash",
  dollar: 'follows "$"; write the placeholder alone (and "${{NAME}}" for a shell variable)',
};

/** Follows bash's quoting through literal command text, one piece at a time. */
export class ShellLexer {
  #stack: Frame[] = [{ kind: "code", sub: "top" }];
  #poison?: string; // a construct the lexer does not follow; nothing after it is placed
  #escape = false;
  #dollar = false;
  #word = "";
  #wordStart = true;
  #brackets = 0;

  /** Feeds literal command text (braces already unescaped). */
  text(s: string): void {
    for (let i = 0; i < s.length && this.#poison === undefined; i++) i = this.#char(s, i);
  }

  /** The state where a placeholder stands now. */
  slot(): Slot {
    if (this.#poison !== undefined) {
      return {
        refused: `comes after ${this.#poison}, which mlt cannot follow to quote values safely; ` +
          "put the placeholder before it, or move that part of the command into a script of " +
          "the project",
      };
    }
    if (this.#escape) return { refused: WHY.backslash };
    if (this.#dollar) return { refused: WHY.dollar };
    const top = this.#top();
    if (top.kind === "code") {
      if (top.sub === "test") return { refused: WHY.test };
      if (this.#brackets > 0) return { refused: WHY.bracket };
      return { context: "unquoted" };
    }
    if (top.kind === "single") return { context: "single" };
    if (top.kind === "double") return top.locale ? { refused: WHY.locale } : { context: "double" };
    return { refused: WHY[top.kind] };
  }

  /** Records that a value was placed (it continues the current word). */
  value(): void {
    this.#word += "x";
    this.#wordStart = false;
  }

  /** Why text may not be appended after everything fed so far, or undefined when it may. */
  endProblem(): string | undefined {
    if (this.#poison !== undefined) return `the command contains ${this.#poison}`;
    if (this.#escape) return "the command ends with a backslash";
    if (this.#top().kind === "code") this.#boundary(); // the end of the text ends a word
    const top = this.#top();
    if (top.kind === "comment") return "the command ends inside a comment";
    if (top.kind !== "code" || top.sub !== "top") {
      return "the command ends inside quotes, brackets or parentheses";
    }
    return undefined;
  }

  #top(): Frame {
    return this.#stack[this.#stack.length - 1];
  }

  #poisonWith(construct: string): void {
    this.#poison = construct;
  }

  // Handles s[i] (and sometimes the characters after it); returns the last index consumed.
  #char(s: string, i: number): number {
    const c = s[i];
    const next = s[i + 1];
    const top = this.#top();
    this.#dollar = false;
    if (this.#escape) {
      this.#escape = false;
      if (top.kind === "code") this.#wordChar(c);
      return i;
    }
    switch (top.kind) {
      case "single":
        if (c === "'") this.#stack.pop();
        return i;
      case "ansi":
      case "backtick":
        if (c === "\\") this.#escape = true;
        else if (c === (top.kind === "ansi" ? "'" : "`")) this.#stack.pop();
        return i;
      case "comment":
        if (c === "\n") {
          this.#stack.pop();
          this.#boundary();
        }
        return i;
      case "param":
        if (c === "}") this.#stack.pop();
        else if (/['"\\`${\n]/.test(c)) this.#poisonWith("a ${…} holding quotes or expansions");
        return i;
      case "arith":
        return this.#arith(top, s, i);
      case "double":
        if (c === "\\") {
          if (next === undefined || DQ_ESCAPABLE.includes(next)) this.#escape = true;
          return i;
        }
        if (c === '"') this.#stack.pop();
        else if (c === "`") this.#stack.push({ kind: "backtick" });
        else if (c === "$") return this.#dollarAt(s, i, false);
        return i;
      case "code":
        return this.#code(top, s, i);
    }
  }

  #arith(top: { kind: "arith"; depth: number }, s: string, i: number): number {
    const c = s[i];
    if (c === "(") top.depth++;
    else if (c === ")") {
      if (top.depth > 0) top.depth--;
      else if (s[i + 1] === ")") {
        this.#stack.pop();
        return i + 1;
      } else this.#poisonWith("an arithmetic expression that does not end in ))");
    } else if (/['"\\`]/.test(c) || (c === "$" && /[({]/.test(s[i + 1] ?? ""))) {
      this.#poisonWith("an arithmetic expression holding quotes or expansions");
    }
    return i;
  }

  // `$` in code or in double quotes: what it starts, if anything.
  #dollarAt(s: string, i: number, inCode: boolean): number {
    const next = s[i + 1];
    if (next === undefined) {
      this.#dollar = true; // a placeholder may follow: refused
      return i;
    }
    if (next === "(") {
      if (s[i + 2] === "(") {
        this.#stack.push({ kind: "arith", depth: 0 });
        return i + 2;
      }
      this.#stack.push({ kind: "code", sub: "paren" });
      this.#word = "";
      this.#wordStart = true;
      this.#brackets = 0;
      return i + 1;
    }
    if (next === "{") {
      this.#stack.push({ kind: "param" });
      return i + 1;
    }
    if (inCode && next === "'") {
      this.#stack.push({ kind: "ansi" });
      return i + 1;
    }
    if (inCode && next === '"') {
      this.#stack.push({ kind: "double", locale: true });
      return i + 1;
    }
    return i;
  }

  #code(top: { kind: "code"; sub: "top" | "paren" | "test" }, s: string, i: number): number {
    const c = s[i];
    const next = s[i + 1];
    if (c === "\\") {
      this.#escape = true;
      this.#wordStart = false;
      return i;
    }
    if (c === "#" && this.#wordStart) {
      this.#stack.push({ kind: "comment" });
      return i;
    }
    if (c === "'" || c === '"' || c === "`") {
      this.#wordStart = false;
      this.#word += c;
      this.#stack.push(
        c === "'" ? { kind: "single" } : c === '"' ? { kind: "double", locale: false } : {
          kind: "backtick",
        },
      );
      return i;
    }
    if (c === "$") {
      this.#wordChar(c);
      return this.#dollarAt(s, i, true);
    }
    if (c === "<" && next === "<" && s[i + 2] !== "<" && s[i - 1] !== "<") {
      this.#poisonWith('a here-document ("<<")');
      return i + 1;
    }
    if (c === "(" && this.#wordStart && next === "(") {
      this.#stack.push({ kind: "arith", depth: 0 });
      return i + 1;
    }
    if (BOUNDARY.test(c)) {
      this.#boundary();
      if (c === "(") this.#stack.push({ kind: "code", sub: "paren" });
      else if (c === ")" && top.sub === "paren") this.#stack.pop();
      return i;
    }
    this.#wordChar(c);
    return i;
  }

  #wordChar(c: string): void {
    if (c === "[") this.#brackets++;
    else if (c === "]" && this.#brackets > 0) this.#brackets--;
    this.#word += c;
    this.#wordStart = false;
  }

  // The end of a word in code: keywords that change what follows.
  #boundary(): void {
    const word = this.#word;
    const top = this.#top();
    this.#word = "";
    this.#wordStart = true;
    this.#brackets = 0;
    if (top.kind !== "code") return;
    if (word === "[[") this.#stack.push({ kind: "code", sub: "test" });
    else if (word === "]]" && top.sub === "test") this.#stack.pop();
    else if (word === "case" && this.#stack.some((f) => f.kind === "code" && f.sub === "paren")) {
      this.#poisonWith('"case" inside parentheses');
    }
  }
}
