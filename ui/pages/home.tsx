/** The start page: every experiment in a table, a create form, the deleted view. */
import type { VNode } from "preact";
import type { Experiment } from "../../src/model.ts";
import { Time } from "../components/status.tsx";
import { Layout } from "../layout.tsx";
import type { Urls } from "../urls.ts";

/** Everything the experiments page shows. */
export interface HomePageProps {
  u: Urls;
  /** Active experiments (for the sidebar). */
  sidebar: Experiment[];
  /** The experiments listed (active or deleted, filtered by the query). */
  experiments: Experiment[];
  deleted: boolean;
  query: string;
  error?: string;
}

/** The experiments page; its links also serve MLflow's `/#/experiments/…` URLs without JS. */
export function HomePage(p: HomePageProps): VNode {
  const { u } = p;
  return (
    <Layout
      title={p.deleted ? "Deleted experiments" : "Experiments"}
      u={u}
      sidebar={{ experiments: p.sidebar, query: p.query }}
    >
      <h1>{p.deleted ? "Deleted experiments" : "Experiments"}</h1>
      <p id="hash-link" class="small muted" hidden>
        {/* Filled by the client when the URL has an MLflow #/experiments/… fragment. */}
      </p>
      {p.error && <div class="error" role="alert">{p.error}</div>}
      <div class="toolbar">
        <form class="inline" action={u.home()} method="get" role="search">
          {p.deleted && <input type="hidden" name="view" value="deleted" />}
          <input
            type="search"
            name="q"
            value={p.query}
            placeholder="Name contains"
            aria-label="Filter experiments by name"
          />
          <button type="submit">Filter</button>
        </form>
        {p.deleted
          ? <a href={u.home()}>Active experiments</a>
          : <a href={u.home({ view: "deleted" })}>Deleted experiments</a>}
      </div>
      <div class="tablewrap">
        <table class="grid">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">ID</th>
              <th scope="col">Created (UTC)</th>
              <th scope="col">Last updated (UTC)</th>
              <th scope="col">Artifact location</th>
              {p.deleted && <th scope="col" />}
            </tr>
          </thead>
          <tbody>
            {p.experiments.map((e) => (
              <tr key={e.experimentId}>
                <td>
                  <a href={u.experiment(e.experimentId)}>{e.name}</a>
                </td>
                <td class="mono">{e.experimentId}</td>
                <td>
                  <Time ms={e.creationTime} />
                </td>
                <td>
                  <Time ms={e.lastUpdateTime} />
                </td>
                <td class="mono" title={e.artifactLocation}>{e.artifactLocation}</td>
                {p.deleted && (
                  <td>
                    <form
                      class="inline"
                      method="post"
                      action={u.action(`experiments/${encodeURIComponent(e.experimentId)}/restore`)}
                    >
                      <button type="submit">Restore</button>
                    </form>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
        {p.experiments.length === 0 && <p class="empty">No experiments{p.query ? " match" : ""}.
        </p>}
      </div>
      {!p.deleted && (
        <>
          <h2>New experiment</h2>
          <form class="inline" method="post" action={u.action("experiments/create")}>
            <input name="name" placeholder="Name" aria-label="New experiment name" required />
            <button type="submit" class="primary">Create</button>
          </form>
        </>
      )}
    </Layout>
  );
}
