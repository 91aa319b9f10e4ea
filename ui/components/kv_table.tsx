/** Key–value tables (params, tags, a page's overview) and their rows, and a table head. */
import type { ComponentChildren, VNode } from "preact";

/** The pairs by key, values in monospace; `empty` when there are none. */
export function KvTable(
  { items, id, empty }: { items: { key: string; value: string }[]; id: string; empty: string },
): VNode {
  if (!items.length) return <p class="muted">{empty}</p>;
  const sorted = [...items].sort((a, b) => (a.key < b.key ? -1 : 1));
  return (
    <table class="kv" id={id}>
      <tbody>
        {sorted.map((x) => (
          <tr key={x.key}>
            <th scope="row">{x.key}</th>
            <td class="mono">{x.value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** One row of a key–value table: the key, then any content. */
export function Kv({ k, children }: { k: string; children: ComponentChildren }): VNode {
  return (
    <tr>
      <th scope="row">{k}</th>
      <td>{children}</td>
    </tr>
  );
}

/** A table's head: one column heading per name. */
export function ColumnHeads({ cols }: { cols: string[] }): VNode {
  return (
    <thead>
      <tr>
        {cols.map((c) => <th key={c} scope="col">{c}</th>)}
      </tr>
    </thead>
  );
}
