/**
 * The REST parity harness: send one request to `mlflow server` and to `mlt server`, normalise
 * only the differences docs/wire-parity.md lists (one line each, with its reason there), and
 * require the rest to be equal. Nothing here drops a field MLflow sends: a field mlt lacks (or
 * adds) fails the comparison.
 */
import assert from "node:assert/strict";

/** Parsed JSON. */
export type Json = ReturnType<typeof JSON.parse>;

/** One answer: its status and its parsed body (`{notJson: text}` for text answers). */
export interface Answer {
  status: number;
  body: Json;
}

/** Sends one request and parses the answer. */
export async function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<Answer> {
  const res = await fetch(
    base + path,
    // No body for a GET, nor for another method without one (a DELETE of a logged model).
    method === "GET" || (body === undefined && method !== "POST") ? { method } : {
      method,
      headers: { "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body ?? {}),
    },
  );
  const text = await res.text();
  let parsed: Json;
  try {
    parsed = JSON.parse(text);
  } catch {
    try {
      // wire-parity.md §10: MLflow's get-history-bulk writes NaN and ±Infinity as bare words
      // (Python's json, not JSON); mlt writes the strings protobuf JSON uses everywhere else.
      parsed = JSON.parse(text.replace(/:\s*(NaN|-?Infinity)\b/g, ':"$1"'));
    } catch {
      parsed = { notJson: text.slice(0, 200) };
    }
  }
  return { status: res.status, body: parsed };
}

/** One request of a parity table. */
export interface Case {
  method: "GET" | "POST";
  path: string;
  /** A JSON body, or raw text sent as it is (to send `9.0`, which JSON.stringify writes as 9). */
  body?: Record<string, unknown> | string;
  /** Follow next_page_token on both sides and compare every page. */
  paged?: boolean;
  /** Error messages differ by design (mlt's search parser); compare status and code only. */
  messages?: false;
}

const MAX_DOUBLE = 1.7976931348623157e308;

const byKey = (a: { key: string }, b: { key: string }) =>
  a.key < b.key ? -1 : a.key > b.key ? 1 : 0;

/** Which store both servers serve: some differences belong to one store only. */
export type StoreKind = "sqlite" | "file";

// wire-parity.md §1: MLflow's SQL store reads ±Infinity back as ±max double; mlt as ±Infinity.
// §8: a negative zero is written `-0.0` by MLflow, `0` by mlt (JSON.stringify has no -0).
function value(v: Json): Json {
  if (Object.is(v, -0)) return 0;
  return v === MAX_DOUBLE ? "Infinity" : v === -MAX_DOUBLE ? "-Infinity" : v;
}

function normaliseMetrics(ms: Json[] | undefined, store?: StoreKind): Json[] | undefined {
  return ms?.map((m) => ({
    ...m,
    value: value(m.value),
    // §9: MLflow's FileStore reads the step of a point logged with a dataset as 0 (it wrote the
    // real step); mlt reports the step that was written.
    ...(store === "file" && m.dataset_name !== undefined ? { step: 0 } : {}),
  }));
}

const asText = (x: Json) => JSON.stringify(x);
const byText = (x: Json, y: Json) => asText(x) < asText(y) ? -1 : asText(x) > asText(y) ? 1 : 0;

function normaliseExperiment(e: Json): Json {
  // wire-parity.md §2: an experiment's tags in writing order (MLflow) or sorted by key (mlt).
  return e.tags ? { ...e, tags: [...e.tags].sort(byKey) } : e;
}

function normaliseRun(r: Json, store?: StoreKind): Json {
  const data = { ...r.data };
  // wire-parity.md §2: a run's latest metrics, params and tags in storage order (MLflow: rows or
  // directory listing) or sorted by key (mlt).
  for (const k of ["metrics", "params", "tags"]) if (data[k]) data[k] = [...data[k]].sort(byKey);
  if (data.metrics) data.metrics = normaliseMetrics(data.metrics, store);
  const inputs = r.inputs?.dataset_inputs;
  // §2 again: MLflow's FileStore lists a run's dataset inputs in directory order, mlt by name.
  if (store === "file" && inputs) {
    return { ...r, data, inputs: { ...r.inputs, dataset_inputs: [...inputs].sort(byText) } };
  }
  return { ...r, data };
}

/** Makes the listed differences equal; everything else must match exactly. */
export function normalise(
  a: Answer,
  opts: { messages?: boolean; path?: string } = {},
  store?: StoreKind,
): Answer {
  const b = Array.isArray(a.body) || a.body === null ? a.body : { ...a.body };
  if (b?.error_code && opts.messages === false) {
    // wire-parity.md §3: mlt's filter and order_by errors have messages of their own.
    delete b.message;
  }
  if (b?.experiment) b.experiment = normaliseExperiment(b.experiment);
  if (b?.experiments) b.experiments = b.experiments.map(normaliseExperiment);
  if (b?.run) b.run = normaliseRun(b.run, store);
  if (b?.runs) b.runs = b.runs.map((r: Json) => normaliseRun(r, store));
  if (b?.metrics) b.metrics = normaliseMetrics(b.metrics, store);
  // §7: mlt samples get-history-bulk-interval as MLflow's SQL store does, ordering points of one
  // step and timestamp by value; MLflow's FileStore keeps their file order.
  if (store === "file" && b?.metrics && opts.path?.includes("get-history-bulk-interval")) {
    b.metrics = [...b.metrics].sort((x: Json, y: Json) =>
      x.step - y.step || x.timestamp - y.timestamp || byText(x.value, y.value)
    );
  }
  // wire-parity.md §4: mlt's get-history token carries a keyset cursor beside MLflow's offset;
  // the offset must match, and MLflow's own offset-only token pages on mlt too (compare() sends
  // MLflow's token to both).
  if (typeof b?.next_page_token === "string") {
    const t = JSON.parse(atob(b.next_page_token));
    if (t.after) b.next_page_token = btoa(`{"offset": ${t.offset}}`);
  }
  // wire-parity.md §5: search-datasets — MLflow's query has no ORDER BY; compared as sets.
  if (b?.dataset_summaries) b.dataset_summaries = [...b.dataset_summaries].sort(byText);
  return { status: a.status, body: b };
}

/** Sends one case to both servers (following page tokens when paged) and compares; pages seen. */
export async function compare(
  mlflow: string,
  mlt: string,
  c: Case,
  store?: StoreKind,
): Promise<number> {
  let token: string | undefined;
  let pages = 0;
  do {
    let path = c.path, body = c.body;
    if (token) {
      if (c.method === "GET") path += `&page_token=${encodeURIComponent(token)}`;
      else body = { ...(body as Record<string, unknown>), page_token: token };
    }
    const [a, b] = await Promise.all([
      call(mlflow, c.method, path, body),
      call(mlt, c.method, path, body),
    ]);
    const what = `${c.method} ${path} ${body ? JSON.stringify(body) : ""}`;
    const opts = { messages: c.messages, path };
    assert.deepEqual(normalise(b, opts, store), normalise(a, opts, store), what);
    pages++;
    token = a.body?.next_page_token;
    if (!c.paged) break;
  } while (token);
  return pages;
}

/**
 * Compares every case of a table and fails once with every difference found (so one run shows
 * them all); returns how many pages were compared.
 */
export async function compareAll(
  mlflow: string,
  mlt: string,
  cases: Case[],
  store?: StoreKind,
): Promise<number> {
  let pages = 0;
  const failures: string[] = [];
  for (const c of cases) {
    try {
      pages += await compare(mlflow, mlt, c, store);
    } catch (e) {
      failures.push((e as Error).message);
    }
  }
  if (failures.length) {
    throw new Error(
      `${failures.length} of ${cases.length} requests differ:\n\n` +
        failures.join("\n\n"),
    );
  }
  return pages;
}
