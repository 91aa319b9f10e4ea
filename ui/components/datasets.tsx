/** A run's datasets (MLflow's `log_input`): name, digest, context, source, schema and profile. */
import type { VNode } from "preact";
import { type DatasetInput, TAG } from "../../src/model.ts";

// Pretty-prints JSON text; anything else is shown as it is.
function pretty(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

// A source such as {"uri": "s3://b/k"} shows its URI (or path or url); else the raw text.
function sourceText(source: string): string {
  try {
    const o = JSON.parse(source);
    if (o && typeof o === "object") {
      for (const k of ["uri", "path", "url", "table_name"]) {
        if (typeof o[k] === "string") return o[k];
      }
    }
  } catch {
    // not JSON
  }
  return source;
}

// MLflow's schema JSON as "name: type" lines, when it has that shape.
function schemaColumns(schema: string): string[] | undefined {
  try {
    const cols = JSON.parse(schema)?.mlflow_colspec ?? JSON.parse(schema)?.mlflow_tensorspec;
    if (!Array.isArray(cols)) return undefined;
    return cols.map((c: { name?: string; type?: string }) =>
      `${c.name ?? "(unnamed)"}: ${c.type ?? "?"}`
    );
  } catch {
    return undefined;
  }
}

/** The datasets section's table. */
export function Datasets({ inputs }: { inputs: DatasetInput[] }): VNode {
  if (!inputs.length) {
    return (
      <p class="muted">
        No datasets. MLflow's <code>mlflow.log_input()</code> records them.
      </p>
    );
  }
  return (
    <div class="tablewrap">
      <table class="grid" id="datasets-table">
        <thead>
          <tr>
            <th scope="col">Dataset</th>
            <th scope="col">Context</th>
            <th scope="col">Digest</th>
            <th scope="col">Source</th>
            <th scope="col">Schema and profile</th>
          </tr>
        </thead>
        <tbody>
          {inputs.map((d, i) => {
            const ds = d.dataset;
            const context = d.tags.find((t) => t.key === TAG.datasetContext)?.value;
            const other = d.tags.filter((t) => t.key !== TAG.datasetContext);
            const cols = ds.schema ? schemaColumns(ds.schema) : undefined;
            return (
              <tr key={i}>
                <td>
                  <strong>{ds.name}</strong>
                  {other.map((t) => <span key={t.key} class="tag small">{t.key}: {t.value}</span>)}
                </td>
                <td>{context ?? ""}</td>
                <td class="mono">{ds.digest}</td>
                <td>
                  <span class="mono" title={ds.source}>{sourceText(ds.source)}</span>{" "}
                  <span class="muted small">{ds.sourceType}</span>
                </td>
                <td>
                  {(ds.schema || ds.profile) && (
                    <details>
                      <summary>{cols ? `${cols.length} columns` : "Show"}</summary>
                      {ds.schema && <pre>{cols ? cols.join("\n") : pretty(ds.schema)}</pre>}
                      {ds.profile && <pre>{pretty(ds.profile)}</pre>}
                    </details>
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
