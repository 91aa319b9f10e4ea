/**
 * The UI's form posts (create, rename, delete and restore experiments; delete and restore runs;
 * set and delete tags; the description), each answered with a redirect (POST → 303 → GET).
 * Cross-site posts are refused: the browser must say the request is same-origin
 * (`Sec-Fetch-Site`) or send an Origin whose host is the Host header.
 */
import { type Context, Hono } from "hono";
import { invalidParam, MltError } from "../src/errors.ts";
import { TAG } from "../src/model.ts";
import type { TrackingStore } from "../src/store/store.ts";
import { readCapped } from "../src/api/body.ts";
import { validateExperimentName } from "../src/validate.ts";
import { checkExperimentId, checkRunId } from "./data.ts";
import type { Urls } from "./urls.ts";

/** Largest form body accepted. */
export const MAX_FORM_BYTES = 1024 * 1024;

/** True when a form post comes from a page of this server. */
export function sameOrigin(req: Request): boolean {
  const site = req.headers.get("sec-fetch-site");
  if (site === "same-origin") return true;
  if (site !== null && site !== "none") return false;
  const origin = req.headers.get("origin");
  if (origin === null || origin === "null") return false;
  try {
    return new URL(origin).host.toLowerCase() ===
      (req.headers.get("host") ?? new URL(req.url).host).toLowerCase();
  } catch {
    return false;
  }
}

/** Reads a same-origin form post (url-encoded, at most MAX_FORM_BYTES). */
export async function readForm(req: Request): Promise<URLSearchParams> {
  const type = (req.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") {
    throw invalidParam("Forms must be posted as application/x-www-form-urlencoded");
  }
  // The API's bounded reader: copies chunks out (a byte-by-byte body holds no 64 KiB buffers)
  // and gives up on a body slower than its deadline.
  const all = await readCapped(req, MAX_FORM_BYTES);
  return new URLSearchParams(new TextDecoder().decode(all));
}

function selectedRuns(form: URLSearchParams): string[] {
  const ids = form.getAll("runs").flatMap((v) => v.split(",")).filter(Boolean);
  if (!ids.length) throw invalidParam("Select at least one run first");
  return ids.map(checkRunId);
}

/** The tag a "Set tag" form posts; a key is required. */
export async function tagOf(req: Request): Promise<{ key: string; value: string }> {
  const form = await readForm(req);
  const key = form.get("key")?.trim() ?? "";
  if (!key) throw invalidParam("A tag needs a key");
  return { key, value: form.get("value") ?? "" };
}

/** The text a description form posts, with the browser's CRLF line ends made LF. */
export async function descriptionOf(req: Request): Promise<string> {
  return ((await readForm(req)).get("text") ?? "").replace(/\r\n/g, "\n");
}

/** The form routes, mounted under `/_mlt/action`. */
export function actionRoutes(store: TrackingStore, u: Urls): Hono {
  const r = new Hono();
  r.use(async (c, next) => {
    if (!sameOrigin(c.req.raw)) {
      throw new MltError("PERMISSION_DENIED", "Cross-site form posts are refused");
    }
    await next();
  });
  const back = (c: Context, to: string) => c.redirect(to, 303);

  r.post("/experiments/create", async (c) => {
    const name = validateExperimentName((await readForm(c.req.raw)).get("name")?.trim() ?? "");
    return back(c, u.experiment(await store.createExperiment(name)));
  });
  r.post("/experiments/:id/rename", async (c) => {
    const id = checkExperimentId(c.req.param("id"));
    const name = validateExperimentName((await readForm(c.req.raw)).get("name")?.trim() ?? "");
    await store.renameExperiment(id, name);
    return back(c, u.experiment(id));
  });
  r.post("/experiments/:id/delete", async (c) => {
    const id = checkExperimentId(c.req.param("id"));
    await store.deleteExperiment(id);
    return back(c, u.home({ view: "deleted" }));
  });
  r.post("/experiments/:id/restore", async (c) => {
    const id = checkExperimentId(c.req.param("id"));
    await store.restoreExperiment(id);
    return back(c, u.experiment(id));
  });
  for (const op of ["delete", "restore"] as const) {
    r.post(`/experiments/:id/runs/${op}`, async (c) => {
      const id = checkExperimentId(c.req.param("id"));
      for (const runId of selectedRuns(await readForm(c.req.raw))) {
        await (op === "delete" ? store.deleteRun(runId) : store.restoreRun(runId));
      }
      return back(c, u.experiment(id, op === "delete" ? {} : { view: "ALL" }));
    });
  }
  // An experiment's tags and its description (MLflow keeps it in the mlflow.note.content tag).
  r.post("/experiments/:id/tags", async (c) => {
    const id = checkExperimentId(c.req.param("id"));
    await store.setExperimentTag(id, await tagOf(c.req.raw));
    return back(c, u.experiment(id));
  });
  r.post("/experiments/:id/tags/delete", async (c) => {
    const id = checkExperimentId(c.req.param("id"));
    await store.deleteExperimentTag(id, (await readForm(c.req.raw)).get("key") ?? "");
    return back(c, u.experiment(id));
  });
  r.post("/experiments/:id/description", async (c) => {
    const id = checkExperimentId(c.req.param("id"));
    const text = await descriptionOf(c.req.raw);
    const e = await store.getExperiment(id);
    if (text.trim()) await store.setExperimentTag(id, { key: TAG.note, value: text });
    else if (e.tags.some((t) => t.key === TAG.note)) await store.deleteExperimentTag(id, TAG.note);
    return back(c, u.experiment(id));
  });
  const runPage = async (runId: string) => {
    const run = await store.getRun(runId);
    return u.run(run.info.experimentId, runId);
  };
  r.post("/runs/:id/tags", async (c) => {
    const id = checkRunId(c.req.param("id"));
    await store.setTag(id, await tagOf(c.req.raw));
    return back(c, (await runPage(id)) + "#tags");
  });
  r.post("/runs/:id/tags/delete", async (c) => {
    const id = checkRunId(c.req.param("id"));
    await store.deleteTag(id, (await readForm(c.req.raw)).get("key") ?? "");
    return back(c, (await runPage(id)) + "#tags");
  });
  r.post("/runs/:id/description", async (c) => {
    const id = checkRunId(c.req.param("id"));
    const text = await descriptionOf(c.req.raw);
    const run = await store.getRun(id);
    if (text.trim()) await store.setTag(id, { key: TAG.note, value: text });
    else if (run.data.tags.some((t) => t.key === TAG.note)) await store.deleteTag(id, TAG.note);
    return back(c, u.run(run.info.experimentId, id));
  });
  return r;
}
