/**
 * Renders an entry point's command line (reference §2.3): only `{name}` placeholders are
 * substituted, each value quoted for the bash context it lands in (unquoted ones exactly as
 * Python's `shlex.quote`, like MLflow), `{{`/`}}` are literal braces, and undeclared parameters are
 * appended as ` --key 'value'`. Pure: no Deno.*.
 */
import { MltError } from "../errors.ts";
import { type QuoteContext, ShellLexer } from "./shell_lexer.ts";

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quotes `s` for a POSIX shell exactly as Python's `shlex.quote` does. */
export function shellQuote(s: string): string {
  if (s === "") return "''";
  if (SAFE.test(s)) return s;
  return "'" + s.replaceAll("'", `'"'"'`) + "'";
}

/** `value` quoted for where it lands: shlex-quoted unquoted, escaped inside '…' or "…". */
export function quoteFor(context: QuoteContext, value: string): string {
  if (context === "single") return value.replaceAll("'", `'"'"'`);
  if (context === "double") return value.replace(/[\\$`"]/g, "\\$&");
  return shellQuote(value);
}

/**
 * Substitutes `values` into `template`, each quoted for the bash context it lands in (so no value
 * can run anything), and appends the quoted `extras`. Places where no quoting is safe are
 * refused with a message naming the placeholder.
 */
export function renderCommand(
  template: string,
  values: ReadonlyMap<string, string>,
  extras: ReadonlyArray<readonly [string, string]> = [],
  entryPoint = "main",
): string {
  const fail = (why: string) =>
    new MltError(
      "INVALID_PARAMETER_VALUE",
      `Cannot render the command of entry point "${entryPoint}": ${why}`,
    );
  const lexer = new ShellLexer();
  let out = "";
  let literal = "";
  let i = 0;
  while (i < template.length) {
    const c = template[i];
    if (c === "{" && template[i + 1] === "{") {
      literal += "{";
      i += 2;
    } else if (c === "}" && template[i + 1] === "}") {
      literal += "}";
      i += 2;
    } else if (c === "}") {
      throw fail(`single "}" at offset ${i} (write "}}" for a literal brace)`);
    } else if (c === "{") {
      const end = template.indexOf("}", i + 1);
      if (end < 0) throw fail(`unclosed "{" at offset ${i} (write "{{" for a literal brace)`);
      const name = template.slice(i + 1, end);
      // Only a plain declared name: no attribute access, indexing, conversion or format spec.
      if (/[{.\[\]!:]/.test(name) || !values.has(name)) {
        throw fail(`placeholder "{${name}}" is not a declared parameter`);
      }
      lexer.text(literal);
      out += literal;
      literal = "";
      const slot = lexer.slot();
      if ("refused" in slot) throw fail(`placeholder "{${name}}" ${slot.refused}`);
      out += quoteFor(slot.context, values.get(name)!);
      lexer.value();
      i = end + 1;
    } else {
      literal += c;
      i++;
    }
  }
  // A YAML block scalar ends with a newline; appending extras after it would start a new command.
  if (extras.length) literal = literal.trimEnd();
  lexer.text(literal);
  out += literal;
  if (extras.length) {
    const why = lexer.endProblem();
    if (why !== undefined) {
      throw fail(
        `cannot append the undeclared parameter "--${extras[0][0]}": ${why}; declare it in ` +
          "MLproject and place it in the command",
      );
    }
  }
  for (const [key, value] of extras) out += ` --${key} ${shellQuote(value)}`;
  return out;
}
