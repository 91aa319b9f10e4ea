/** Small shared pieces: status badge, time, copy button, number cells. */
import type { VNode } from "preact";
import type { RunStatus } from "../../src/model.ts";
import { formatNumber } from "../chart.ts";
import { formatTime } from "../format.ts";

/** A coloured run status. */
export function StatusBadge({ status, deleted }: { status: RunStatus; deleted?: boolean }): VNode {
  return (
    <span class="status-wrap">
      <span class={`badge ${status}`} data-status={status}>{status}</span>
      {deleted && <span class="badge deleted">deleted</span>}
    </span>
  );
}

/** A UTC timestamp with its ISO value for machines. */
export function Time({ ms }: { ms?: number }): VNode {
  if (ms === undefined) return <span class="muted">—</span>;
  return <time dateTime={new Date(ms).toISOString()}>{formatTime(ms)}</time>;
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
