/** Pure display helpers for pages: times, durations, run fields, URLs. */
import { type Run, TAG } from "../src/model.ts";

/** `YYYY-MM-DD HH:MM:SS` in UTC (the page says so), or an empty string. */
export function formatTime(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return "";
  return new Date(ms).toISOString().slice(0, 19).replace("T", " ");
}

/** How long ago `ms` was, as `just now`, `3 min ago`, `5 h ago`, `2 days ago`, `4 months ago`. */
export function formatAgo(ms: number, now: number): string {
  const s = Math.round((now - ms) / 1000);
  if (s < 0) return "in the future";
  if (s < 45) return "just now";
  const m = Math.round(s / 60), h = Math.round(s / 3600), d = Math.round(s / 86400);
  if (m < 60) return `${m} min ago`;
  if (h < 24) return `${h} h ago`;
  if (d < 45) return d === 1 ? "1 day ago" : `${d} days ago`;
  const mo = Math.round(d / 30.44);
  if (mo < 18) return mo === 1 ? "1 month ago" : `${mo} months ago`;
  const y = Math.round(d / 365.25);
  return y === 1 ? "1 year ago" : `${y} years ago`;
}

/** A compact duration such as `1.2s`, `3m 04s`, `2h 05m`, `3d 4h`. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return "";
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60), h = Math.floor(m / 60), d = Math.floor(h / 24);
  const pad = (n: number) => String(n).padStart(2, "0");
  if (m < 60) return `${m}m ${pad(Math.floor(s % 60))}s`;
  if (h < 24) return `${h}h ${pad(m % 60)}m`;
  return `${d}d ${h % 24}h`;
}

/** A run's duration: end − start, or now − start while it runs. */
export function runDuration(run: Run, now: number): number | undefined {
  const { startTime, endTime, status } = run.info;
  if (startTime === undefined) return undefined;
  if (endTime !== undefined) return endTime - startTime;
  return status === "RUNNING" ? Math.max(0, now - startTime) : undefined;
}

/** A tag's value, or undefined. */
export function tagValue(run: Run, key: string): string | undefined {
  return run.data.tags.find((t) => t.key === key)?.value;
}

/** A run's display name: its name, else the first 8 characters of its id. */
export function runLabel(run: Run): string {
  return run.info.runName || tagValue(run, TAG.runName) || run.info.runId.slice(0, 8);
}

/** The source of a run as MLflow shows it: the last path segment of `mlflow.source.name`. */
export function runSource(run: Run): string {
  const name = tagValue(run, TAG.sourceName) ?? "";
  const parts = name.split(/[\\/]/).filter(Boolean);
  return parts[parts.length - 1] ?? name;
}

/** The user of a run: `mlflow.user`, else the run's user id. */
export function runUser(run: Run): string {
  return tagValue(run, TAG.user) ?? run.info.userId ?? "";
}

/** A query string from pairs, skipping empty values; repeated keys for arrays. */
export function qs(params: Record<string, string | string[] | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === "") continue;
    for (const x of Array.isArray(v) ? v : [v]) q.append(k, x);
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

/** True for an http(s) URL, the only external links pages render as links. */
export function isSafeUrl(url: string): boolean {
  return /^https?:\/\/[^\s]+$/i.test(url);
}
