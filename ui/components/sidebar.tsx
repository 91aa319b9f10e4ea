/** The experiments sidebar: a search box (filters live with JS, submits without) and the list. */
import type { VNode } from "preact";
import type { Experiment } from "../../src/model.ts";
import type { Urls } from "../urls.ts";

/** Props of Sidebar. */
export interface SidebarProps {
  u: Urls;
  experiments: Experiment[];
  current?: string;
  query?: string;
}

/** The experiments list with its search box. */
export function Sidebar({ u, experiments, current, query }: SidebarProps): VNode {
  const q = (query ?? "").toLowerCase();
  const shown = q ? experiments.filter((e) => e.name.toLowerCase().includes(q)) : experiments;
  return (
    <aside class="side" aria-label="Experiments">
      <h2>Experiments</h2>
      <form action={u.home()} method="get" role="search">
        <input
          type="search"
          name="q"
          value={query ?? ""}
          placeholder="Search experiments"
          aria-label="Search experiments"
          data-filter-list="exp-list"
        />
      </form>
      <ul id="exp-list">
        {shown.map((e) => (
          <li key={e.experimentId} data-name={e.name.toLowerCase()}>
            <a
              href={u.experiment(e.experimentId)}
              title={e.name}
              aria-current={e.experimentId === current ? "page" : undefined}
            >
              {e.name}
            </a>
          </li>
        ))}
      </ul>
      {shown.length === 0 && <p class="muted small">No experiments match.</p>}
      <p class="small">
        <a href={u.home({ view: "deleted" })}>Deleted experiments</a>
      </p>
    </aside>
  );
}
