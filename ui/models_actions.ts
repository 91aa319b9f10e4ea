/**
 * The model forms (mounted under `/_mlt/action` beside actions.ts, with the same same-origin
 * rule): register a logged model as a new version of a registered model (created if absent, as
 * `mlflow.register_model` does), set or remove an alias, and edit the description and tags of a
 * registered model or a version. Each answers with a redirect.
 */
import { type Context, Hono } from "hono";
import { invalidParam, MltError } from "../src/errors.ts";
import { loggedModelLink, recordModelVersion } from "../src/store/registry_links.ts";
import type { ModelRegistryStore } from "../src/store/registry.ts";
import type { TrackingStore } from "../src/store/store.ts";
import { descriptionOf, readForm, sameOrigin, tagOf } from "./actions.ts";
import type { Urls } from "./urls.ts";

/** The model form routes; without a registry they answer 404. */
export function modelActionRoutes(
  store: TrackingStore,
  registry: ModelRegistryStore | undefined,
  u: Urls,
): Hono {
  const r = new Hono();
  // Mounted beside actions.ts under one prefix, so a middleware here would run for its forms too:
  // each form checks the origin itself.
  const reg = (c: Context) => {
    if (!sameOrigin(c.req.raw)) {
      throw new MltError("PERMISSION_DENIED", "Cross-site form posts are refused");
    }
    if (!registry) {
      throw new MltError("RESOURCE_DOES_NOT_EXIST", "This server has no model registry");
    }
    return registry;
  };
  const back = (c: Context, to: string) => c.redirect(to, 303);

  r.post("/logged-models/:id/register", async (c) => {
    const registry = reg(c);
    const name = (await readForm(c.req.raw)).get("name")?.trim() ?? "";
    if (!name) throw invalidParam("A registered model needs a name");
    const model = await store.getLoggedModel(c.req.param("id"));
    const source = `models:/${model.modelId}`;
    try {
      await registry.createRegisteredModel(name);
    } catch (e) {
      // mlflow.register_model adds a version to a model that exists.
      if (!(e instanceof MltError && e.code === "RESOURCE_ALREADY_EXISTS")) throw e;
    }
    const link = await loggedModelLink(store, source, undefined, model.modelId);
    const v = await registry.createModelVersion({
      name,
      source,
      runId: link.runId ?? "",
      modelId: model.modelId,
      storageLocation: link.storageLocation,
      runLink: "",
      description: "",
    });
    await recordModelVersion(store, model.modelId, v.name, v.version);
    return back(c, u.registeredModel(v.name) + `#version-${v.version}`);
  });

  r.post("/registered-models/:name/alias", async (c) => {
    const registry = reg(c);
    const form = await readForm(c.req.raw);
    const name = c.req.param("name");
    const alias = form.get("alias")?.trim() ?? "";
    const version = form.get("version")?.trim() ?? "";
    if (!alias || !version) throw invalidParam("An alias needs a name and a version");
    await registry.setRegisteredModelAlias(name, alias, version);
    return back(c, u.registeredModel(name));
  });

  r.post("/registered-models/:name/alias/delete", async (c) => {
    const registry = reg(c);
    const alias = (await readForm(c.req.raw)).get("alias")?.trim() ?? "";
    if (!alias) throw invalidParam("Which alias?");
    const name = c.req.param("name");
    await registry.getRegisteredModel(name);
    await registry.deleteRegisteredModelAlias(name, alias);
    return back(c, u.registeredModel(name));
  });

  // Descriptions (Markdown, as MLflow's pages show them) and tags of models and versions.
  const model = "/registered-models/:name";
  const version = `${model}/versions/:version`;
  r.post(`${model}/description`, async (c) => {
    const name = c.req.param("name");
    await reg(c).updateRegisteredModel(name, await descriptionOf(c.req.raw));
    return back(c, u.registeredModel(name));
  });
  r.post(`${model}/tags`, async (c) => {
    const name = c.req.param("name");
    await reg(c).setRegisteredModelTag(name, await tagOf(c.req.raw));
    return back(c, u.registeredModel(name) + "#tags");
  });
  r.post(`${model}/tags/delete`, async (c) => {
    const name = c.req.param("name");
    const key = (await readForm(c.req.raw)).get("key") ?? "";
    await reg(c).deleteRegisteredModelTag(name, key);
    return back(c, u.registeredModel(name) + "#tags");
  });
  r.post(`${version}/description`, async (c) => {
    const { name, version } = c.req.param();
    await reg(c).updateModelVersion(name, version, await descriptionOf(c.req.raw));
    return back(c, u.modelVersion(name, version));
  });
  r.post(`${version}/tags`, async (c) => {
    const { name, version } = c.req.param();
    await reg(c).setModelVersionTag(name, version, await tagOf(c.req.raw));
    return back(c, u.modelVersion(name, version) + "#tags");
  });
  r.post(`${version}/tags/delete`, async (c) => {
    const { name, version } = c.req.param();
    const key = (await readForm(c.req.raw)).get("key") ?? "";
    await reg(c).deleteModelVersionTag(name, version, key);
    return back(c, u.modelVersion(name, version) + "#tags");
  });
  return r;
}
