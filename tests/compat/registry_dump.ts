/**
 * The registry fixtures' two sides in TypeScript: `writeRegistry` makes the calls
 * tests/fixtures/write_registry.py makes, and `dumpRegistry` reads a registry into the JSON
 * shape of tests/compat/read_registry.py (registry-*.expected.json).
 */
import { allPages } from "../../src/store/store.ts";
import type { ModelRegistryStore } from "../../src/store/registry.ts";
import type { ModelVersion } from "../../src/registry_model.ts";

/** The made-up run of the fixtures' sources. */
export const FAKE_RUN = "0123456789abcdef0123456789abcdef";
const LONG = "Detects fraudulent card payments from the last 90 days of transactions, retrained " +
  "every night on the newest labels.\nSecond line: 'quoted' and \"double\" text, ✓ unicode.";

/** write_registry.py's write(), through any registry. */
export async function writeRegistry(c: ModelRegistryStore): Promise<void> {
  const tags = (o: Record<string, string>) =>
    Object.entries(o).map(([key, value]) => ({ key, value }));
  const fd = "fraud-detector";
  await c.createRegisteredModel(
    fd,
    tags({ team: "risk", "nested/tag": "x", unicode: "✓ é", empty: "", yes: "yes" }),
    LONG,
  );
  await c.createModelVersion({
    name: fd,
    source: `runs:/${FAKE_RUN}/model`,
    runId: FAKE_RUN,
    tags: tags({ k: "v" }),
    description: "first",
  });
  await c.createModelVersion({
    name: fd,
    source: "s3://bucket/models/fraud/2",
    runLink: "http://ci/42",
    description: "",
  });
  await c.createModelVersion({
    name: fd,
    source: `mlflow-artifacts:/1/${FAKE_RUN}/artifacts/model`,
    runId: FAKE_RUN,
  });
  await c.createModelVersion({ name: fd, source: "s3://bucket/models/fraud/4" });
  await c.transitionModelVersionStage(fd, "1", "Archived", false);
  await c.transitionModelVersionStage(fd, "2", "Production", false);
  await c.transitionModelVersionStage(fd, "3", "Staging", false);
  await c.setRegisteredModelAlias(fd, "champion", "2");
  await c.setRegisteredModelAlias(fd, "challenger", "3");
  await c.setModelVersionTag(fd, "2", { key: "approved", value: "yes" });
  await c.setModelVersionTag(fd, "3", { key: "empty", value: "" });
  await c.deleteModelVersion(fd, "4");
  await c.createRegisteredModel("empty-model");
  await c.createRegisteredModel("with.dots and spaces", [], "");
  await c.createModelVersion({
    name: "with.dots and spaces",
    source: "gs://bucket/a b/model",
    description: "x".repeat(200),
  });
  await c.createRegisteredModel("to-rename");
  await c.createModelVersion({ name: "to-rename", source: "s3://bucket/renamed/1" });
  await c.renameRegisteredModel("to-rename", "renamed-model");
  await c.createRegisteredModel("deleted-model", tags({ gone: "yes" }));
  await c.createModelVersion({ name: "deleted-model", source: "s3://bucket/deleted/1" });
  await c.deleteRegisteredModel("deleted-model");
  await c.createRegisteredModel("copy-of-fraud");
  await c.createModelVersion({ name: "copy-of-fraud", source: "models:/fraud-detector/2" });
  await c.updateRegisteredModel("empty-model", "updated later");
  await c.updateModelVersion(fd, "3", "staging candidate");
}

type Json = Record<string, unknown>;

function pairs(vs: ModelVersion[]): [string, string][] {
  return [...vs].sort((a, b) => a.version - b.version).map((
    v,
  ) => [String(v.version), v.currentStage]);
}

function sorted(entries: [string, string][]): Record<string, string> {
  return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** read_registry.py's dump(), without `mlflow_version`. */
export async function dumpRegistry(r: ModelRegistryStore): Promise<Json> {
  const { items } = await allPages((pageToken, maxResults) =>
    r.searchRegisteredModels({ pageToken, maxResults: Math.min(maxResults, 1000) })
  );
  const out = {
    models: [] as Json[],
    versions: [] as Json[],
    latest: {} as Json,
    aliases: {} as Json,
  };
  for (const m of items) {
    out.models.push({
      name: m.name,
      creation_timestamp: m.creationTimestamp ?? null,
      last_updated_timestamp: m.lastUpdatedTimestamp ?? null,
      description: m.description ?? null,
      tags: sorted(m.tags.map((t) => [t.key, t.value])),
      aliases: sorted(m.aliases.map((a) => [a.alias, String(a.version)])),
      latest_versions: pairs(m.latestVersions),
    });
    out.latest[m.name] = pairs(await r.getLatestVersions(m.name));
    const aliases: Record<string, string> = {};
    for (const a of [...m.aliases].sort((x, y) => (x.alias < y.alias ? -1 : 1))) {
      aliases[a.alias] = String((await r.getModelVersionByAlias(m.name, a.alias)).version);
    }
    out.aliases[m.name] = aliases;
    const filter = `name = '${m.name}'`;
    const { items: versions } = await allPages((pageToken, maxResults) =>
      r.searchModelVersions({ filter, pageToken, maxResults })
    );
    for (const v of versions) {
      const full = await r.getModelVersion(v.name, v.version);
      out.versions.push({
        name: full.name,
        version: String(full.version),
        creation_timestamp: full.creationTimestamp ?? null,
        last_updated_timestamp: full.lastUpdatedTimestamp ?? null,
        description: full.description ?? null,
        user_id: full.userId || null,
        current_stage: full.currentStage,
        source: full.source ?? null,
        run_id: full.runId ?? null,
        run_link: full.runLink ?? null,
        status: full.status,
        status_message: full.statusMessage ?? null,
        tags: sorted(full.tags.map((t) => [t.key, t.value])),
        aliases: [...full.aliases].sort(),
        download_uri: await r.getModelVersionDownloadUri(full.name, full.version),
      });
    }
  }
  out.versions.sort((a, b) =>
    a.name === b.name
      ? Number(a.version) - Number(b.version)
      : (a.name as string) < (b.name as string)
      ? -1
      : 1
  );
  return out;
}
