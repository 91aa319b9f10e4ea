/**
 * The registry parity test's request shapes, and its cases for versions made from logged models:
 * `models:/m-…` sources with and without a source run, sources inside a model's artifacts,
 * versions of such versions, the logged model's `mlflow.modelVersions` tag, download URIs, and
 * the sources MLflow refuses. Placeholders in paths and bodies ({RUN}, {MODEL}, {BARE}, {GONE})
 * stand for each server's own ids (see `placeholders`).
 */

/** One request of the parity test. */
export interface Case {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  path: string;
  body?: Record<string, unknown>;
  /** Follow next_page_token on both sides. */
  paged?: boolean;
  /** Messages differ by design (mlt's filter parser, no SQLAlchemy text): status and code only. */
  messages?: false;
  /** A deliberate difference: MLflow answers 500, mlt this status and code (docs say why). */
  mlt?: [number, string];
}

/** A GET case. */
export const get = (path: string, extra: Partial<Case> = {}): Case => ({
  method: "GET",
  path,
  ...extra,
});

/** A POST case. */
export const post = (
  path: string,
  body: Record<string, unknown>,
  extra: Partial<Case> = {},
): Case => ({ method: "POST", path, body, ...extra });

/** URI-encodes a query value. */
export const q = (s: string) => encodeURIComponent(s);

const API = "/api/2.0/mlflow";

async function send(base: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}${API}/${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  });
  return await res.json();
}

/**
 * One server's ids behind the placeholders: a run, a logged model it produced (with an MLmodel
 * uploaded through the artifact proxy), a model without a source run, and a deleted model.
 */
export async function placeholders(base: string): Promise<Record<string, string>> {
  const run = (await send(base, "POST", "runs/create", { experiment_id: "0" })).run.info.run_id;
  const model = async (body: Record<string, unknown>) =>
    (await send(base, "POST", "logged-models", { experiment_id: "0", ...body })).model.info
      .model_id as string;
  const ids = {
    "{RUN}": run,
    "{MODEL}": await model({ name: "trained", source_run_id: run }),
    "{BARE}": await model({ name: "bare" }),
    "{GONE}": await model({ name: "gone", source_run_id: run }),
  };
  await fetch(`${base}${API}/logged-models/${ids["{GONE}"]}`, { method: "DELETE" });
  const put = await fetch(
    `${base}/api/2.0/mlflow-artifacts/artifacts/0/models/${ids["{MODEL}"]}/artifacts/MLmodel`,
    { method: "PUT", body: "flavors: {}\n" },
  );
  await put.body?.cancel();
  return ids;
}

const mv = (body: Record<string, unknown>, extra: Partial<Case> = {}) =>
  post("model-versions/create", { name: "lm", ...body }, extra);
const ART = "mlflow-artifacts:/0/models/{MODEL}/artifacts";

/** Versions made from logged models, and their reads (after the main writes). */
export function loggedModelWrites(): Case[] {
  return [
    post("registered-models/create", { name: "lm" }),
    mv({ source: "models:/{MODEL}", model_id: "{MODEL}" }),
    mv({ source: "models:/{MODEL}", model_id: "{MODEL}", run_id: "" }),
    mv({ source: `${ART}/sub`, model_id: "{MODEL}" }),
    mv({ source: "models:/{BARE}", model_id: "{BARE}" }),
    mv({ source: "models:/lm/1" }),
    mv({ source: "models:/{MODEL}", model_id: "{MODEL}", run_id: "{RUN}", description: "d" }),
  ];
}

/** Reads of the versions above and of their logged models. */
export function loggedModelReads(): Case[] {
  const versions = [1, 2, 3, 4, 5, 6].flatMap((v) => [
    get(`model-versions/get?name=lm&version=${v}`),
    get(`model-versions/get-download-uri?name=lm&version=${v}`),
  ]);
  return [
    ...versions,
    get("logged-models/{MODEL}"),
    get("logged-models/{BARE}"),
    post("logged-models/search", { experiment_ids: ["0"] }),
    get(`model-versions/search?filter=${q("name = 'lm'")}`),
    get(`model-versions/search?filter=${q("run_id = '{RUN}' AND name = 'lm'")}`),
    get("registered-models/get?name=lm"),
  ];
}

/** Sources MLflow refuses; where it answers 500 mlt answers 404 (docs/registry.md). */
export function loggedModelMistakes(): Case[] {
  const unknown = `m-${"0".repeat(32)}`;
  return [
    mv({ source: `models:/${unknown}`, model_id: unknown }, {
      mlt: [404, "RESOURCE_DOES_NOT_EXIST"],
    }),
    mv({ source: `models:/${unknown}` }),
    mv({ source: `mlflow-artifacts:/0/models/${unknown}/artifacts`, model_id: unknown }),
    mv({ source: "models:/{GONE}", model_id: "{GONE}" }, { mlt: [404, "RESOURCE_DOES_NOT_EXIST"] }),
    mv({ source: "mlflow-artifacts:/0/models/{GONE}/artifacts", model_id: "{GONE}" }),
    mv({ source: "mlflow-artifacts:/0/models/other/artifacts", model_id: "{MODEL}" }),
    mv({ source: "/tmp/elsewhere", model_id: "{MODEL}" }),
    mv({ source: "runs:/{RUN}/model", run_id: "{RUN}", model_id: "{MODEL}" }),
    mv({ source: "models:/{GONE}", model_id: "{MODEL}" }),
    mv({ source: "models:/lm/1", model_id: "{BARE}" }),
    mv({ source: "models:/lm/1", run_id: "" }),
    mv({ source: `${ART}/../../{GONE}/artifacts`, model_id: "{MODEL}" }),
    post("model-versions/create", { name: "nope", source: "models:/{MODEL}", model_id: "{MODEL}" }),
    get("logged-models/{MODEL}"),
  ];
}
