/**
 * `mlt models list | versions | describe | set-alias | delete-alias | download` — the model
 * registry over any store: the tracking store's own (as MLflow, the default), `--registry-uri`
 * or MLFLOW_REGISTRY_URI. A version is a number, `@alias`, `latest` or a stage name.
 */
import type { Command } from "commander";
import { resolve } from "node:path";
import { MltError } from "../errors.ts";
import type { ModelVersion, RegisteredModel } from "../registry_model.ts";
import { isModelsUri, parseModelUri } from "../registry_uri.ts";
import type { ModelRegistryStore } from "../store/registry.ts";
import { allPages, type TrackingStore } from "../store/store.ts";
import { type CliContext, trackingUri } from "./context.ts";
import {
  colorOn,
  commaList,
  formatTime,
  positiveInt,
  printJson,
  progress,
  storeOptions,
  styles,
  table,
  usage,
  withStore,
} from "./output.ts";

interface Flags {
  trackingUri?: string;
  registryUri?: string;
  json?: boolean;
  filter?: string;
  orderBy?: string[];
  maxResults?: number;
  dstPath?: string;
}

// Opens the tracking store and the registry the flags name, runs `fn`, closes both.
function withRegistry<T>(
  ctx: CliContext,
  o: Flags,
  fn: (registry: ModelRegistryStore, store: TrackingStore) => Promise<T>,
): Promise<T> {
  return withStore(ctx, o.trackingUri, async (store) => {
    const { loadRegistryStore } = await import("../store/open_registry.ts");
    const { httpOptionsFromEnv } = await import("../store/store.ts");
    const uri = o.registryUri || ctx.env("MLFLOW_REGISTRY_URI") || undefined;
    const registry = await loadRegistryStore(uri, { http: httpOptionsFromEnv(ctx.env) }, store);
    try {
      return await fn(registry, store);
    } finally {
      await registry.close();
    }
  });
}

function registryOptions(cmd: Command, json = true): Command {
  return storeOptions(cmd, json).option(
    "--registry-uri <uri>",
    "model registry (default: MLFLOW_REGISTRY_URI, else the tracking store)",
  );
}

/** `<name>` and `[version]`, or one `models:/<name>/<version>` / `models:/<name>@<alias>` URI. */
function target(name: string, version: string | undefined): [string, string | undefined] {
  if (!isModelsUri(name)) return [name, version];
  const u = parseModelUri(name);
  if (u.modelId !== undefined || u.name === undefined) {
    throw new MltError("INVALID_PARAMETER_VALUE", `"${name}" names a logged model, not a version`);
  }
  return [u.name, u.version ?? (u.alias ? `@${u.alias}` : u.stage ?? "latest")];
}

/** The version a selector names: a number, `@alias`, `latest` or a stage. */
async function pickVersion(
  r: ModelRegistryStore,
  name: string,
  sel: string,
): Promise<ModelVersion> {
  if (/^\d+$/.test(sel)) return await r.getModelVersion(name, sel);
  if (sel.startsWith("@")) return await r.getModelVersionByAlias(name, sel.slice(1));
  if (sel.toLowerCase() === "latest") return await r.getModelVersionByAlias(name, "latest");
  const [top] = (await r.getLatestVersions(name, [sel])).sort((a, b) => b.version - a.version);
  if (!top) throw new MltError("RESOURCE_DOES_NOT_EXIST", `Model "${name}" has no ${sel} version`);
  return top;
}

// A filter that names one model, quoted so that the name's own quotes stay literal.
function nameFilter(name: string): string {
  if (!name.includes("'")) return `name = '${name}'`;
  if (!name.includes('"')) return `name = "${name}"`;
  throw new MltError("INVALID_PARAMETER_VALUE", `Cannot filter on a name with both quote kinds`);
}

function firstLine(s: string | undefined, max = 40): string {
  const line = (s ?? "").split("\n")[0];
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

function versionRows(vs: ModelVersion[]): string[][] {
  return vs.map((v) => [
    String(v.version),
    v.currentStage,
    v.aliases.join(", "),
    v.runId ?? "",
    v.source ?? "",
    formatTime(v.creationTimestamp),
  ]);
}

const VERSION_HEADER = ["VERSION", "STAGE", "ALIASES", "RUN", "SOURCE", "CREATED"];

function printModel(ctx: CliContext, m: RegisteredModel, versions: ModelVersion[]): void {
  const s = styles(colorOn(ctx));
  const lines: [string, string][] = [
    ["name", m.name],
    ["description", m.description ?? ""],
    ["created", formatTime(m.creationTimestamp)],
    ["last update", formatTime(m.lastUpdatedTimestamp)],
    ["aliases", m.aliases.map((a) => `${a.alias} → ${a.version}`).join(", ")],
  ];
  for (const [k, v] of lines) console.log(`${s.bold(k.padEnd(14))}${v}`);
  if (m.tags.length) {
    console.log(s.bold("tags"));
    for (const t of m.tags) console.log(`  ${t.key} = ${t.value}`);
  }
  console.log(table(VERSION_HEADER.map(s.bold), versionRows(versions)));
}

function printVersion(ctx: CliContext, v: ModelVersion): void {
  const s = styles(colorOn(ctx));
  const lines: [string, string][] = [
    ["name", v.name],
    ["version", String(v.version)],
    ["stage", v.currentStage],
    ["aliases", v.aliases.join(", ")],
    ["source", v.source ?? ""],
    ["run", v.runId ?? ""],
    ["description", v.description ?? ""],
    ["created", formatTime(v.creationTimestamp)],
    ["last update", formatTime(v.lastUpdatedTimestamp)],
  ];
  for (const [k, val] of lines) console.log(`${s.bold(k.padEnd(14))}${val}`);
  for (const t of v.tags) console.log(`  ${t.key} = ${t.value}`);
}

/** Registers `mlt models`. */
export function registerModels(program: Command, ctx: CliContext): void {
  const group = program.command("models")
    .description("list and describe registered models and versions, set aliases, download")
    .addHelpText(
      "after",
      "\nA version is a number, @alias, latest or a stage (Production…); `<name> <version>` may" +
        "\nalso be one models:/<name>/<version> or models:/<name>@<alias> URI." +
        "\nExit codes: 0 ok, 1 error (unknown model or version, store unreachable), 2 usage error.",
    );
  const searchOptions = (cmd: Command) =>
    registryOptions(cmd)
      .option("--filter <expr>", "filter, e.g. \"name LIKE 'fraud%' and tags.team = 'ml'\"")
      .option("--order-by <clause>", "order, e.g. 'last_updated_timestamp DESC'", commaList)
      .option("--max-results <n>", "most rows to list (default 100)", positiveInt);

  searchOptions(
    group.command("list").alias("search").description("list registered models"),
  ).action(async (o: Flags) => {
    await withRegistry(ctx, o, async (r) => {
      const { items, more } = await allPages((pageToken, maxResults) =>
        r.searchRegisteredModels({
          filter: o.filter,
          orderBy: o.orderBy,
          maxResults: Math.min(maxResults, 1000),
          pageToken,
        }), o.maxResults ?? 100);
      if (o.json) return printJson(items);
      const s = styles(colorOn(ctx));
      console.log(table(
        ["NAME", "LATEST VERSIONS", "ALIASES", "UPDATED", "DESCRIPTION"].map(s.bold),
        items.map((m) => [
          m.name,
          m.latestVersions.map((v) => `${v.version} (${v.currentStage})`).join(", "),
          m.aliases.map((a) => `${a.alias} → ${a.version}`).join(", "),
          formatTime(m.lastUpdatedTimestamp),
          firstLine(m.description),
        ]),
      ));
      if (more) console.error("(more models: raise --max-results)");
    });
  });

  searchOptions(
    group.command("versions").description("list model versions, newest update first")
      .argument("[name]", "only this model's versions"),
  ).action(async (name: string | undefined, o: Flags) => {
    await withRegistry(ctx, o, async (r) => {
      const filter = [name === undefined ? "" : nameFilter(name), o.filter ?? ""]
        .filter(Boolean).join(" and ");
      const { items, more } = await allPages(
        (pageToken, maxResults) =>
          r.searchModelVersions({ filter, orderBy: o.orderBy, maxResults, pageToken }),
        o.maxResults ?? 100,
      );
      if (o.json) return printJson(items);
      const s = styles(colorOn(ctx));
      console.log(table(
        ["NAME", ...VERSION_HEADER].map(s.bold),
        versionRows(items).map((row, i) => [items[i].name, ...row]),
      ));
      if (more) console.error("(more versions: raise --max-results)");
    });
  });

  registryOptions(
    group.command("describe").description(
      "show a registered model and its versions, or one version",
    )
      .argument("<name>", "model name (or a models:/ URI)")
      .argument("[version]", "a version: number, @alias, latest or stage"),
  ).action(async (rawName: string, rawVersion: string | undefined, o: Flags) => {
    const [name, sel] = target(rawName, rawVersion);
    await withRegistry(ctx, o, async (r) => {
      if (sel !== undefined) {
        const v = await pickVersion(r, name, sel);
        const full = await r.getModelVersion(name, v.version); // with its aliases
        return o.json ? printJson(full) : printVersion(ctx, full);
      }
      const m = await r.getRegisteredModel(name);
      const { items } = await allPages((pageToken, maxResults) =>
        r.searchModelVersions({
          filter: nameFilter(name),
          orderBy: ["version_number DESC"],
          maxResults,
          pageToken,
        })
      );
      const versions = items.map((v) => ({
        ...v,
        aliases: m.aliases.filter((a) => a.version === v.version).map((a) => a.alias),
      }));
      if (o.json) return printJson({ ...m, versions });
      printModel(ctx, m, versions);
    });
  });

  registryOptions(
    group.command("set-alias").description("point an alias at a version (moving it if it exists)")
      .argument("<name>", "model name").argument("<alias>", "alias").argument(
        "<version>",
        "version",
      ),
    false,
  ).action(async (name: string, alias: string, version: string, o: Flags) => {
    await withRegistry(ctx, o, async (r) => {
      await r.setRegisteredModelAlias(name, alias, version);
      console.log(`Alias '${alias}' of model '${name}' now points at version ${version}`);
    });
  });

  registryOptions(
    group.command("delete-alias").description("remove an alias")
      .argument("<name>", "model name").argument("<alias>", "alias"),
    false,
  ).action(async (name: string, alias: string, o: Flags) => {
    await withRegistry(ctx, o, async (r) => {
      await r.getRegisteredModel(name);
      await r.deleteRegisteredModelAlias(name, alias);
      console.log(`Alias '${alias}' of model '${name}' removed`);
    });
  });

  registryOptions(
    group.command("download")
      .description("download a version's files and print the local path")
      .argument("<name>", "model name (or a models:/ URI)")
      .argument("[version]", "a version: number, @alias, latest or stage (default latest)")
      .option("-d, --dst-path <dir>", "where to put them (default: the current directory)"),
    false,
  ).action(async (rawName: string, rawVersion: string | undefined, o: Flags, cmd: Command) => {
    const [name, sel] = target(rawName, rawVersion);
    if (sel === undefined && rawVersion !== undefined) usage(cmd, "give the version once");
    const { downloadPath, openArtifactRepo } = await import("../store/artifacts.ts");
    const { versionArtifactUri } = await import("../store/registry_download.ts");
    const { httpOptionsFromEnv } = await import("../store/store.ts");
    await withRegistry(ctx, o, async (r, store) => {
      const v = await pickVersion(r, name, sel ?? "latest");
      const source = await r.getModelVersionDownloadUri(name, v.version);
      const uri = await versionArtifactUri(store, r, source);
      const runId = /^runs:/i.test(source)
        ? source.replace(/^runs:\/*/i, "").split("/")[0]
        : undefined;
      const repo = openArtifactRepo(uri, {
        trackingUri: trackingUri(ctx, o.trackingUri),
        http: httpOptionsFromEnv(ctx.env),
        runId,
        env: ctx.env,
      });
      const bar = progress("download");
      let n = 0;
      const local = await downloadPath(
        repo,
        "",
        resolve(ctx.cwd, o.dstPath ?? "."),
        (p) => bar.tick(++n, undefined, p),
      );
      bar.done();
      console.log(local);
    });
  });
}
