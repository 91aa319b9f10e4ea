/** Breadcrumbs from the experiments page down to a page of one or more runs, by name. */
import type { VNode } from "preact";
import type { Experiment, Run } from "../../src/model.ts";
import { runLabel } from "../format.ts";
import type { Urls } from "../urls.ts";

/** Experiments / <experiment names> / <run name, or a link comparing the runs> / `here`. */
export function RunsCrumbs(
  { u, experiments, runs, here }: {
    u: Urls;
    experiments: Experiment[];
    runs: Run[];
    here?: string;
  },
): VNode {
  const ids = runs.map((r) => r.info.runId);
  return (
    <div class="crumbs">
      <a href={u.home()}>Experiments</a>
      {experiments.map((e, i) => (
        <span key={e.experimentId}>
          {i === 0 ? " / " : ", "}
          <a href={u.experiment(e.experimentId)}>{e.name}</a>
        </span>
      ))}
      {runs.length === 1 && (
        <>
          {" / "}
          <a href={u.run(runs[0].info.experimentId, ids[0])}>{runLabel(runs[0])}</a>
        </>
      )}
      {runs.length > 1 && here !== "compare" && (
        <>
          {" / "}
          <a href={u.compare(ids)}>{runs.length} runs</a>
        </>
      )}
      {here && <>{" / "}{here}</>}
    </div>
  );
}
