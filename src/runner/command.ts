/**
 * Renders an entry point's command line (reference §2.3): every value is POSIX shell-quoted as
 * Python's `shlex.quote` does, only `{name}` placeholders are substituted, `{{`/`}}` are literal
 * braces, and undeclared parameters are appended as ` --key 'value'`. Pure: no Deno.*.
 */
import { MltError } from "../errors.ts";

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quotes `s` for a POSIX shell exactly as Python's `shlex.quote` does. */
export function shellQuote(s: string): string {
  if (s === "") return "''";
  if (SAFE.test(s)) return s;
  return "'" + s.replaceAll("'", `'"'"'`) + "'";
}

/** Substitutes quoted `values` into `template` and appends the quoted `extras`. */
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
  let out = "";
  let i = 0;
  while (i < template.length) {
    const c = template[i];
    if (c === "{" && template[i + 1] === "{") {
      out += "{";
      i += 2;
    } else if (c === "}" && template[i + 1] === "}") {
      out += "}";
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
      out += shellQuote(values.get(name)!);
      i = end + 1;
    } else {
      out += c;
      i++;
    }
  }
  // A YAML block scalar ends with a newline; appending extras after it would start a new command.
  if (extras.length) out = out.trimEnd();
  for (const [key, value] of extras) out += ` --${key} ${shellQuote(value)}`;
  return out;
}
