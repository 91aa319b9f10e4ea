/** Small shared pieces: status badge, time, copy button, number cells. */
import type { VNode } from "preact";
import type { RunStatus } from "../../src/model.ts";
import { formatNumber } from "../chart.ts";
import { formatAgo, formatTime } from "../format.ts";

/** A coloured run status. */
export function StatusBadge({ status, deleted }: { status: RunStatus; deleted?: boolean }): VNode {
  return (
    <span class="status-wrap">
      <span class={`badge ${status}`} data-status={status}>{status}</span>
      {deleted && <span class="badge deleted">deleted</span>}
    </span>
  );
}

/**
 * A timestamp: in UTC, or with `now` as "3 min ago" with the UTC time on hover (the client script
 * puts the browser's local time there unless `utc`).
 */
export function Time({ ms, now, utc }: { ms?: number; now?: number; utc?: boolean }): VNode {
  if (ms === undefined) return <span class="muted">—</span>;
  const iso = new Date(ms).toISOString();
  if (now === undefined || utc) return <time dateTime={iso}>{formatTime(ms)}</time>;
  return (
    <time dateTime={iso} title={`${formatTime(ms)} UTC`} data-local="1">
      {formatAgo(ms, now)}
    </time>
  );
}

/** A button that copies `text` (needs JS; hidden text remains selectable without). */
export function CopyButton({ text, label }: { text: string; label: string }): VNode {
  return (
    <button type="button" class="copy" data-copy={text} aria-label={`Copy ${label}`}>
      Copy
    </button>
  );
}

/** A metric value formatted compactly, the full value in the tooltip when it differs. */
export function Num({ v }: { v: number | undefined }): VNode {
  if (v === undefined) return <span />;
  const text = formatNumber(v), full = String(v);
  return <span title={text === full ? undefined : full}>{text}</span>;
}
