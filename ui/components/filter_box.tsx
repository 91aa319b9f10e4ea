/** The MLflow filter box of the runs table and the Models tab; a parse error shows inline with a caret. */
import type { VNode } from "preact";

/** A filter parse error: the message and, when known, the 1-based character position. */
export interface FilterError {
  message: string;
  position?: number;
}

/** Extracts "at position N" from a search error message. */
export function filterError(message: string): FilterError {
  const m = / at position (\d+)/.exec(message);
  return { message, position: m ? Number(m[1]) : undefined };
}

/** Props of FilterBox. */
export interface FilterBoxProps {
  action: string;
  filter: string;
  error?: FilterError;
  /** Other URL state kept when the filter is submitted. */
  keep: Record<string, string | undefined>;
  /** What is filtered ("runs" by default) and an example filter for the empty box. */
  what?: string;
  example?: string;
}

/** The filter form: text box, Search button, the error with a caret under the bad character. */
export function FilterBox(
  { action, filter, error, keep, what = "runs", example = RUNS_EXAMPLE }: FilterBoxProps,
): VNode {
  return (
    <form class="filter-form" action={action} method="get" role="search">
      <div class="filter">
        <input
          type="search"
          name="filter"
          value={filter}
          placeholder={example}
          aria-label={`Filter ${what}`}
          aria-invalid={error ? "true" : undefined}
          aria-describedby={error ? "filter-error" : undefined}
          spellcheck={false}
          autocomplete="off"
        />
        {Object.entries(keep).map(([k, v]) =>
          v === undefined || v === "" ? null : <input key={k} type="hidden" name={k} value={v} />
        )}
        <button type="submit" class="primary">Search</button>
        {filter && <a href={action + queryOf(keep)}>Clear</a>}
      </div>
      {error && (
        <div class="error" id="filter-error" role="alert">
          {error.message}
          {error.position !== undefined && (
            <pre aria-hidden="true">{filter + "\n" + " ".repeat(Math.max(0, error.position - 1)) + "^"}</pre>
          )}
        </div>
      )}
    </form>
  );
}

const RUNS_EXAMPLE = `metrics.rmse < 1 and params.model = "tree" and tags.mlflow.user = "me"`;

function queryOf(keep: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(keep)) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : "";
}
