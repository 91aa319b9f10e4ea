/**
 * The UI's model routes (part of app.ts's job, split out for size): an experiment's Models tab,
 * a logged model's page, the registry's pages, and the run page's logged models. Loads through
 * TrackingStore and ModelRegistryStore, renders pure pages.
 */
import type { Hono } from "hono";
import { h } from "preact";
import { MltError, notFound } from "../src/errors.ts";
import type { LoggedModel, Page, Run } from "../src/model.ts";
import { MODEL_VERSIONS_TAG, type ModelVersion } from "../src/registry_model.ts";
import {
  decodeLoggedModelToken,
  encodeLoggedModelToken,
} from "../src/search/logged_model_token.ts";
import type { ModelRegistryStore } from "../src/store/registry.ts";
import type { TrackingStore } from "../src/store/store.ts";
import { type ArtifactAccess, preview } from "./artifact_view.ts";
import type { Preview } from "./components/artifacts.tsx";
import { allExperiments, checkExperimentId, isClientError } from "./data.ts";
import { type FilterError, filterError } from "./components/filter_box.tsx";
import { LoggedModelPage, ModelsTabPage, type VersionRef } from "./pages/models.tsx";
import { ModelVersionPage } from "./pages/model_version.tsx";
import {
  RegisteredModelPage,
  RegistryPage,
  type VersionLinks,
  versionModelId,
} from "./pages/registry.tsx";
import { htmlResponse } from "./render.ts";
import { runLabel } from "./format.ts";
import type { Urls } from "./urls.ts";

/** What the model routes need. */
export interface ModelDeps {
  store: TrackingStore;
  registry?: ModelRegistryStore;
  artifacts?: ArtifactAccess;
  u: Urls;
  now: () => number;
}

/** Logged models per page of the Models tab (`n` chooses 1…1000). */
export const MODELS_PER_PAGE = 50;
/** Most logged models a run page lists (produced, and used as inputs). */
const RUN_MODELS = 100;

/** A logged model id as the UI's 404 (the store's own error for an unknown one). */
async function loggedModel(store: TrackingStore, id: string): Promise<LoggedModel> {
  if (!/^m-[0-9a-f]{1,64}$/.test(id)) throw notFound(`Logged model "${id}" does not exist`);
  return await store.getLoggedModel(id);
}

/** The registered versions a logged model's `mlflow.modelVersions` tag lists. */
export function modelVersionRefs(model: LoggedModel): VersionRef[] {
  const value = model.tags.find((t) => t.key === MODEL_VERSIONS_TAG)?.value;
  if (!value) return [];
  try {
    const list = JSON.parse(value);
    if (!Array.isArray(list)) return [];
    return list.filter((x) => x && typeof x.name === "string" && x.version !== undefined)
      .map((x) => ({ name: x.name, version: String(x.version) }));
  } catch {
    return [];
  }
}

// Runs by id (those that exist), read together.
async function runsById(store: TrackingStore, ids: string[]): Promise<Map<string, Run>> {
  const found = await Promise.all(
    [...new Set(ids)].map((id) => store.getRun(id).catch(() => undefined)),
  );
  return new Map(found.filter((r): r is Run => !!r).map((r) => [r.info.runId, r]));
}

/** The logged models a run produced (its source run, or its recorded outputs) and used. */
export async function runLoggedModels(
  store: TrackingStore,
  run: Run,
): Promise<{ outputs: LoggedModel[]; inputs: LoggedModel[] }> {
  const page = await store.searchLoggedModels({
    experimentIds: [run.info.experimentId],
    filter: `source_run_id = '${run.info.runId}'`,
    maxResults: RUN_MODELS,
  });
  const seen = new Set(page.items.map((m) => m.modelId));
  const get = (ids: string[]) =>
    Promise.all(ids.slice(0, RUN_MODELS).map((id) => store.getLoggedModel(id).catch(() => null)))
      .then((l) => l.filter((m): m is LoggedModel => !!m));
  const more = (run.outputs?.modelOutputs ?? []).map((o) => o.modelId).filter((id) =>
    !seen.has(id)
  );
  const inputs = (run.inputs.modelInputs ?? []).map((i) => i.modelId);
  const [extra, used] = await Promise.all([get([...new Set(more)]), get([...new Set(inputs)])]);
  return { outputs: [...page.items, ...extra], inputs: used };
}

function registryOf(d: ModelDeps): ModelRegistryStore {
  if (!d.registry) {
    throw new MltError("RESOURCE_DOES_NOT_EXIST", "This server has no model registry");
  }
  return d.registry;
}

/** Registers the model pages on the UI app. */
export function modelRoutes(app: Hono, d: ModelDeps): void {
  const { store, u } = d;

  app.get("/experiments/:id/models", async (c) => {
    const id = checkExperimentId(c.req.param("id"));
    const [experiment, experiments] = await Promise.all([
      store.getExperiment(id),
      allExperiments(store),
    ]);
    const n = Math.min(Math.max(Number(c.req.query("n")) || MODELS_PER_PAGE, 1), 1000);
    // MLflow's logged-model filter grammar (metrics.x > 1, params.y = 'z', name LIKE '%…');
    // a mistake shows under the box with status 400, as the runs table's filter does.
    const filter = (c.req.query("filter") ?? "").trim();
    const q = {
      experimentIds: [id],
      filter: filter || undefined,
      orderBy: [{ fieldName: "creation_timestamp", ascending: false }],
    };
    const token = c.req.query("page") || undefined;
    const offset = decodeLoggedModelToken(token, q);
    let page: Page<LoggedModel> = { items: [] };
    let error: FilterError | undefined;
    try {
      page = await store.searchLoggedModels({ ...q, maxResults: n, pageToken: token });
    } catch (e) {
      if (!isClientError(e) || !filter) throw e;
      error = filterError(e.message);
    }
    const runs = await runsById(
      store,
      page.items.flatMap((m) => (m.sourceRunId ? [m.sourceRunId] : [])),
    );
    return htmlResponse(
      h(ModelsTabPage, {
        u,
        experiment,
        experiments,
        models: page.items,
        runs,
        now: d.now(),
        filter,
        filterError: error,
        offset,
        nextPageToken: page.nextPageToken,
        prevPageToken: offset - n > 0 ? encodeLoggedModelToken(q, offset - n) : undefined,
        paged: offset > 0,
      }),
      error ? 400 : 200,
    );
  });

  app.get("/experiments/:id/models/:modelId", async (c) => {
    const model = await loggedModel(store, c.req.param("modelId"));
    if (model.experimentId !== c.req.param("id")) {
      return c.redirect(u.loggedModel(model.experimentId, model.modelId));
    }
    const dir = (c.req.query("artifact") ?? "").replace(/^\/+|\/+$/g, "");
    const file = (c.req.query("file") ?? "").replace(/^\/+/, "");
    const [experiment, experiments, sourceRun, artifacts, preview] = await Promise.all([
      store.getExperiment(model.experimentId),
      allExperiments(store),
      model.sourceRunId ? store.getRun(model.sourceRunId).catch(() => undefined) : undefined,
      listModelArtifacts(d.artifacts, model.modelId, dir),
      file ? previewModelFile(d.artifacts, model.modelId, file) : undefined,
    ]);
    return htmlResponse(h(LoggedModelPage, {
      u,
      model,
      experiment,
      experiments,
      sourceRun,
      versions: modelVersionRefs(model),
      now: d.now(),
      artifacts,
      preview,
      registry: !!d.registry,
    }));
  });

  app.get("/models", async (c) => {
    const query = (c.req.query("q") ?? "").trim();
    if (!d.registry) {
      return htmlResponse(
        h(RegistryPage, { u, models: [], query, now: d.now(), unavailable: true }),
      );
    }
    // MLflow's registry filter has no escapes: the text's own % and _ stay wildcards, and a quote
    // becomes the one-character wildcard.
    const filter = query ? `name ILIKE '%${query.replaceAll("'", "_")}%'` : undefined;
    const page = await d.registry.searchRegisteredModels({
      filter,
      maxResults: 100,
      orderBy: ["name ASC"],
      pageToken: c.req.query("page") || undefined,
    }).catch((e) => {
      if (isClientError(e)) return { items: [], nextPageToken: undefined };
      throw e;
    });
    return htmlResponse(h(RegistryPage, {
      u,
      models: page.items,
      query,
      now: d.now(),
      nextPageToken: page.nextPageToken,
    }));
  });

  app.get("/models/:name", async (c) => {
    const reg = registryOf(d);
    const name = c.req.param("name");
    const model = await reg.getRegisteredModel(name);
    const versions = await allVersions(reg, model.name);
    const links = await versionLinks(store, versions);
    return htmlResponse(h(RegisteredModelPage, { u, model, versions, links, now: d.now() }));
  });

  app.get("/models/:name/versions/:version", async (c) => {
    const version = await registryOf(d).getModelVersion(
      c.req.param("name"),
      c.req.param("version"),
    );
    const links = await versionLinks(store, [version]);
    return htmlResponse(h(ModelVersionPage, { u, version, links, now: d.now() }));
  });
}

// Where the runs and logged models of versions are (those that exist).
async function versionLinks(store: TrackingStore, versions: ModelVersion[]): Promise<VersionLinks> {
  const runs = await runsById(store, versions.flatMap((v) => (v.runId ? [v.runId] : [])));
  const modelIds = [...new Set(versions.map(versionModelId).filter((x): x is string => !!x))];
  const found = await Promise.all(modelIds.map((id) => store.getLoggedModel(id).catch(() => null)));
  return {
    runs: new Map(
      [...runs].map(([id, r]) => [id, { experimentId: r.info.experimentId, label: runLabel(r) }]),
    ),
    models: new Map(
      found.filter((m): m is LoggedModel => !!m).map((m) => [m.modelId, m.experimentId]),
    ),
  };
}

// Every live version of a model, newest first. The registry's filter has no escape for a quote,
// so a name holding one is matched with LIKE (a quote becomes "_") and then exactly here.
async function allVersions(reg: ModelRegistryStore, name: string): Promise<ModelVersion[]> {
  const filter = name.includes("'")
    ? `name LIKE '${name.replaceAll("'", "_")}'`
    : `name = '${name}'`;
  const page = await reg.searchModelVersions({
    filter,
    orderBy: ["version_number DESC"],
    maxResults: 1000,
  });
  return page.items.filter((v) => v.name === name);
}

// The preview of one of a model's files (MLmodel, requirements.txt…), or why there is none.
async function previewModelFile(
  access: ArtifactAccess | undefined,
  modelId: string,
  path: string,
): Promise<Preview> {
  const read = access?.readModel;
  if (!read) return { path, kind: "none", reason: "Artifacts are not available here." };
  try {
    return await preview((f, n) => read(modelId, f, n), path);
  } catch (e) {
    // A missing file or a bad path is said in the pane; the page still shows.
    if (!(e instanceof MltError) || e.status >= 500) throw e;
    return { path, kind: "none", reason: e.message };
  }
}

// One directory of a model's artifacts, or why it cannot be listed.
async function listModelArtifacts(
  access: ArtifactAccess | undefined,
  modelId: string,
  dir: string,
) {
  if (!access?.listModel) return { dir, items: [], error: "Artifacts are not available here." };
  try {
    return { dir, items: await access.listModel(modelId, dir) };
  } catch (e) {
    return { dir, items: [], error: (e as Error).message };
  }
}
