/**
 * What the management commands share: opening the store a command names, tables for people,
 * JSON for scripts, colour only on a terminal (and never with NO_COLOR), progress lines and
 * confirmations on stderr. Imports nothing heavy: stores are opened lazily.
 */
import { type Command, InvalidArgumentError } from "commander";
import type { TrackingStore } from "../store/store.ts";
import { type CliContext, trackingUri } from "./context.ts";
import { parseDuration } from "./duration.ts";

/** Exit code of `mlt doctor` when it found problems it did not fix. */
export const EXIT_PROBLEMS = 3;

/** Adds the options every management command takes: `--tracking-uri` and `--json`. */
export function storeOptions(cmd: Command, json = true): Command {
  cmd.option(
    "--tracking-uri <uri>",
    "tracking store: a path, file:, sqlite: or http(s): URI " +
      "(default: MLFLOW_TRACKING_URI, else ./mlruns or ./mlflow.db as MLflow picks)",
  );
  if (json) cmd.option("--json", "print JSON for scripts instead of a table");
  return cmd;
}

/** Opens the command's store (flag, then MLFLOW_TRACKING_URI), runs `fn`, closes it. */
export async function withStore<T>(
  ctx: CliContext,
  flag: string | undefined,
  fn: (store: TrackingStore, uri: string) => Promise<T>,
  warn: (message: string) => void = warnLine,
): Promise<T> {
  const { loadStore } = await import("../store/load.ts");
  const { httpOptionsFromEnv } = await import("../store/store.ts");
  const uri = trackingUri(ctx, flag);
  const store = await loadStore(uri, { http: httpOptionsFromEnv(ctx.env), warn });
  try {
    return await fn(store, uri);
  } finally {
    await store.close();
  }
}

/** A warning line on stderr. */
export function warnLine(message: string): void {
  console.error(`warning: ${message}`);
}

/** Ends the command with a usage error: one `error: …` line, exit 2. */
export function usage(cmd: Command, message: string): never {
  cmd.error(`error: ${message}`, { exitCode: 2 });
}

/** A commander parser for comma-separated lists (`a,b` and repeated flags both work). */
export function commaList(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(",").map((s) => s.trim()).filter(Boolean)];
}

/** A commander parser for positive integers. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a positive integer");
  return n;
}

/** Whether stdout (or stderr) gets colour: a terminal and no NO_COLOR. */
export function colorOn(ctx: CliContext, stream: "stdout" | "stderr" = "stdout"): boolean {
  const no = ctx.env("NO_COLOR");
  if (no !== undefined && no !== "") return false;
  return (stream === "stdout" ? Deno.stdout : Deno.stderr).isTerminal();
}

/** ANSI styles that are the identity when colour is off. */
export function styles(on: boolean) {
  const wrap = (code: string) => (s: string) => on ? `\x1b[${code}m${s}\x1b[0m` : s;
  return {
    bold: wrap("1"),
    dim: wrap("2"),
    red: wrap("31"),
    green: wrap("32"),
    yellow: wrap("33"),
  };
}

// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/** A plain-text table: a header row, then rows; cells may hold colour codes. */
export function table(header: string[], rows: string[][]): string {
  const width = header.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => (r[i] ?? "").replace(ANSI, "").length))
  );
  const line = (cells: string[]) =>
    cells.map((c, i) =>
      i === cells.length - 1 ? c : c + " ".repeat(width[i] - c.replace(ANSI, "").length)
    )
      .join("  ").trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

/** JSON for scripts: NaN and ±Infinity as strings, as MLflow's REST API writes them. */
export function printJson(value: unknown): void {
  console.log(JSON.stringify(
    value,
    (_k, v) => typeof v === "number" && !Number.isFinite(v) ? String(v) : v,
    2,
  ));
}

/** A local time `YYYY-MM-DD HH:MM:SS`, or "" when absent. */
export function formatTime(ms: number | undefined): string {
  if (ms === undefined) return "";
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ` +
    `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** A duration such as `2d 3h`, `4m 10s`, `850ms`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const s = Math.floor(ms / 1000);
  const units: [number, string][] = [[86400, "d"], [3600, "h"], [60, "m"], [1, "s"]];
  const parts: string[] = [];
  let rest = s;
  for (const [n, u] of units) {
    if (rest >= n || (u === "s" && parts.length === 0)) {
      parts.push(`${Math.floor(rest / n)}${u}`);
      rest %= n;
    }
    if (parts.length === 2) break;
  }
  return parts.join(" ");
}

function columns(): number {
  try {
    return Deno.consoleSize().columns;
  } catch {
    return 80;
  }
}

/** A progress line on stderr: `tick()` as work advances, `done()` at the end. */
export interface Progress {
  tick(done: number, total?: number, note?: string): void;
  done(): void;
}

/**
 * Progress on stderr for long operations: redrawn in place on a terminal; elsewhere one line a
 * second, and nothing at all for operations shorter than a second.
 */
export function progress(label: string): Progress {
  const tty = Deno.stderr.isTerminal();
  const enc = new TextEncoder();
  const write = (s: string) => Deno.stderr.writeSync(enc.encode(s));
  let last = tty ? 0 : Date.now();
  let drawn = false;
  return {
    tick(done, total, note = "") {
      const now = Date.now();
      if (now - last < (tty ? 100 : 1000)) return;
      last = now;
      const count = total === undefined ? `${done}` : `${done}/${total}`;
      const text = `${label}: ${count}${note ? ` ${note}` : ""}`;
      write(tty ? `\r\x1b[2K${text.slice(0, columns() - 1)}` : `${text}\n`);
      drawn = tty;
    },
    done() {
      if (drawn) write("\r\x1b[2K");
      drawn = false;
    },
  };
}

/**
 * Asks `question` on stderr and reads y/N from stdin. Returns false when stdin is not a
 * terminal: destructive commands then need `--yes`.
 */
export async function confirm(question: string): Promise<boolean> {
  if (!Deno.stdin.isTerminal()) return false;
  Deno.stderr.writeSync(new TextEncoder().encode(`${question} [y/N] `));
  const buf = new Uint8Array(256);
  const n = await Deno.stdin.read(buf);
  const answer = new TextDecoder().decode(buf.subarray(0, n ?? 0)).trim().toLowerCase();
  return answer === "y" || answer === "yes";
}

/** A commander parser for `--view`: active_only, deleted_only or all. */
export function parseView(value: string): "ACTIVE_ONLY" | "DELETED_ONLY" | "ALL" {
  const v = value.toUpperCase().replace("-", "_");
  if (v === "ACTIVE_ONLY" || v === "DELETED_ONLY" || v === "ALL") return v;
  throw new InvalidArgumentError("expected active_only, deleted_only or all");
}

/** A commander parser for MLflow durations (`2d8h`): milliseconds; malformed → usage error. */
export function durationArg(value: string): number {
  try {
    return parseDuration(value);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}
