/** Small inline SVG icons (16 × 16, drawn in the current text colour). */
import type { VNode } from "preact";

const PATHS: Record<string, string> = {
  folder: "M1.5 3.5h4l1.5 1.5h7.5v8h-13z",
  "folder-open": "M1.5 3.5h4l1.5 1.5h6v2M1.5 13.5l2-6h11l-2 6z M1.5 3.5v10",
  file: "M3.5 1.5h6l3 3v10h-9z M9.5 1.5v3h3",
  image: "M2.5 2.5h11v11h-11z M2.5 11l3.5-4 3 3 2-2 2.5 3 M10.5 5.5h.01",
  table: "M2.5 2.5h11v11h-11z M2.5 6h11 M2.5 9.5h11 M6.5 2.5v11",
  model: "M8 1.5l6 3.25v6.5L8 14.5l-6-3.25v-6.5z M2 4.75l6 3.25 6-3.25 M8 8v6.5",
  download: "M8 2v8 M4.5 6.5L8 10l3.5-3.5 M2.5 13.5h11",
  eye: "M1 8s2.5-4.5 7-4.5S15 8 15 8s-2.5 4.5-7 4.5S1 8 1 8z M8 6a2 2 0 1 0 .01 0z",
  "eye-off": "M1 8s2.5-4.5 7-4.5S15 8 15 8s-2.5 4.5-7 4.5S1 8 1 8z M2 2l12 12",
  chevron: "M6 3.5L10.5 8 6 12.5",
};

/** One icon by name (unknown names draw nothing); decorative unless `label` is given. */
export function Icon({ name, label }: { name: string; label?: string }): VNode {
  return (
    <svg
      class="icon"
      viewBox="0 0 16 16"
      width="14"
      height="14"
      aria-hidden={label ? undefined : "true"}
      role={label ? "img" : undefined}
      aria-label={label}
    >
      <path d={PATHS[name] ?? ""} />
    </svg>
  );
}
