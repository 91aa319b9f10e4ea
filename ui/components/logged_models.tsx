/** MLflow 3 logged models in a table (the run page's section, the experiment's Models tab). */
import type { VNode } from "preact";
import type { LoggedModel, Metric, Run } from "../../src/model.ts";
import { runLabel } from "../format.ts";
import type { Urls } from "../urls.ts";
import { ColumnHeads } from "./kv_table.tsx";
import { Num, Time } from "./status.tsx";

/** A logged model's status as a badge (READY, PENDING, FAILED, UNSPECIFIED). */
export function ModelStatus({ status }: { status: string }): VNode {
  return <span class={`badge ${status}`} data-status={status}>{status}</span>;
}

/**
 * The latest value of each metric of a model per dataset (a metric evaluated on two datasets is
 * two rows), by key then dataset.
 */
export function latestModelMetrics(metrics: Metric[]): Metric[] {
  const by = new Map<string, Metric>();
  for (const m of metrics) {
    const id = JSON.stringify([m.key, m.datasetName ?? "", m.datasetDigest ?? ""]);
    const seen = by.get(id);
    if (!seen || m.step > seen.step || (m.step === seen.step && m.timestamp >= seen.timestamp)) {
      by.set(id, m);
    }
  }
  const order = (m: Metric) => `${m.key}\u0000${m.datasetName ?? ""}`;
  return [...by.values()].sort((a, b) => (order(a) < order(b) ? -1 : 1));
}

/** Props of LoggedModelsTable. */
export interface LoggedModelsTableProps {
  u: Urls;
  models: LoggedModel[];
  now: number;
  /** Source runs by id: shows the source run column (the Models tab). */
  runs?: Map<string, Run>;
  /** How many metrics to show inline per model. */
  metricsShown?: number;
  id?: string;
}

/** Name, status, (source run), created, params count and the main metrics of each model. */
export function LoggedModelsTable(p: LoggedModelsTableProps): VNode {
  const { u, runs } = p;
  const shown = p.metricsShown ?? 3;
  return (
    <div class="tablewrap">
      <table class="grid" id={p.id}>
        <ColumnHeads
          cols={[
            "Model",
            "Status",
            ...(runs ? ["Source run"] : []),
            "Created",
            "Type",
            "Params",
            "Metrics",
          ]}
        />
        <tbody>
          {p.models.map((m) => {
            const latest = latestModelMetrics(m.metrics);
            const run = m.sourceRunId ? runs?.get(m.sourceRunId) : undefined;
            return (
              <tr key={m.modelId} data-model-id={m.modelId}>
                <td>
                  <a href={u.loggedModel(m.experimentId, m.modelId)}>{m.name}</a>{" "}
                  <span class="muted mono small">{m.modelId}</span>
                </td>
                <td>
                  <ModelStatus status={m.status} />
                </td>
                {runs && (
                  <td>
                    {m.sourceRunId
                      ? (
                        <a href={u.run(m.experimentId, m.sourceRunId)}>
                          {run ? runLabel(run) : m.sourceRunId}
                        </a>
                      )
                      : <span class="muted">—</span>}
                  </td>
                )}
                <td>
                  <Time ms={m.creationTimestamp} now={p.now} />
                </td>
                <td>{m.modelType ?? ""}</td>
                <td class="num">{m.params.length}</td>
                <td>
                  {latest.slice(0, shown).map((x) => (
                    <span key={x.key} class="tag small">
                      {x.key}: <Num v={x.value} />
                    </span>
                  ))}
                  {latest.length > shown && (
                    <span class="muted small">+{latest.length - shown}</span>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** The run page's "Logged models": what the run produced, then the models it used. */
export function RunLoggedModels(
  { u, now, outputs, inputs }: {
    u: Urls;
    now: number;
    outputs: LoggedModel[];
    inputs: LoggedModel[];
  },
): VNode {
  return (
    <>
      {outputs.length
        ? <LoggedModelsTable u={u} models={outputs} now={now} id="run-logged-models" />
        : (
          <p class="muted" id="no-logged-models">
            No logged models. MLflow 3's <code>log_model()</code> records them.
          </p>
        )}
      {inputs.length > 0 && (
        <>
          <h3>Models used as inputs ({inputs.length})</h3>
          <LoggedModelsTable u={u} models={inputs} now={now} id="run-model-inputs" />
        </>
      )}
    </>
  );
}
