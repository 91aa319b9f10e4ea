/**
 * Request schemas of MLflow's model registry endpoints (`registered-models/*`,
 * `model-versions/*`), spread into wire.ts's SCHEMAS. Fields are written out as plain objects of
 * wire.ts's field shape, so this file imports nothing from wire.ts. The alias path serves three
 * methods with three schemas; their keys carry the method after a `#`.
 */

type Field = {
  camel: string;
  type: "str" | "i64" | "bool" | "strs" | { msgs: Record<string, Field> };
  required: boolean;
};

const opt = (camel: string, type: Field["type"] = "str"): Field => ({
  camel,
  type,
  required: false,
});
const req = (camel: string, type: Field["type"] = "str"): Field => ({
  camel,
  type,
  required: true,
});

const TAGS = opt("tags", { msgs: { key: req("key"), value: opt("value") } });
const NAME = { name: req("name") };
const VERSION = { name: req("name"), version: req("version") };
const SEARCH = {
  filter: opt("filter"),
  max_results: opt("maxResults", "i64"),
  order_by: opt("orderBy", "strs"),
  page_token: opt("pageToken"),
};

/** Request schemas of the registry endpoints, keyed by path under `/api/2.0/mlflow/`. */
export const REGISTRY_SCHEMAS = {
  "registered-models/create": {
    ...NAME,
    tags: TAGS,
    description: opt("description"),
    deployment_job_id: opt("deploymentJobId"),
  },
  "registered-models/rename": { ...NAME, new_name: req("newName") },
  "registered-models/update": {
    ...NAME,
    description: opt("description"),
    deployment_job_id: opt("deploymentJobId"),
  },
  "registered-models/delete": NAME,
  "registered-models/get": NAME,
  "registered-models/search": SEARCH,
  "registered-models/get-latest-versions": { ...NAME, stages: opt("stages", "strs") },
  "registered-models/set-tag": { ...NAME, key: req("key"), value: opt("value") },
  "registered-models/delete-tag": { ...NAME, key: req("key") },
  "registered-models/alias": { ...NAME, alias: req("alias"), version: req("version") },
  "registered-models/alias#DELETE": { ...NAME, alias: req("alias") },
  "registered-models/alias#GET": { ...NAME, alias: req("alias") },
  "model-versions/create": {
    ...NAME,
    source: req("source"),
    run_id: opt("runId"),
    tags: TAGS,
    run_link: opt("runLink"),
    description: opt("description"),
    model_id: opt("modelId"),
  },
  "model-versions/update": { ...VERSION, description: opt("description") },
  "model-versions/transition-stage": {
    ...VERSION,
    stage: req("stage"),
    archive_existing_versions: opt("archiveExistingVersions", "bool"),
  },
  "model-versions/delete": VERSION,
  "model-versions/get": VERSION,
  "model-versions/search": SEARCH,
  // MLflow's handler checks nothing here; the store refuses a missing name or version.
  "model-versions/get-download-uri": { name: opt("name"), version: opt("version") },
  "model-versions/set-tag": { ...VERSION, key: req("key"), value: opt("value") },
  "model-versions/delete-tag": { ...VERSION, key: req("key") },
  "model-versions/get-artifact": { name: opt("name"), version: opt("version"), path: req("path") },
} as const;
