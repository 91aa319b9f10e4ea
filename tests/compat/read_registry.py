"""Print, as JSON, everything the real MLflow client reads from a model registry.

Usage: python read_registry.py <tracking/registry URI> [output.json]

The JSON has the shape of tests/fixtures/registry-*.expected.json:

  {"mlflow_version", "models": [...], "versions": [...], "latest": {...}, "aliases": {...}}

`models` in search order (name), each with its tags and aliases as sorted dicts and its latest
versions as sorted [version, stage] pairs; `versions` sorted by (name, version number), each with
its aliases and download URI; `latest` maps a model to get_latest_versions() as sorted pairs;
`aliases` maps a model to {alias: version read through get_model_version_by_alias}. Absent values
are null. MLflow 3.13+ needs MLFLOW_ALLOW_FILE_STORE=true to open a file store; this script
sets it.
"""

import json
import os
import sys
import warnings

os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")
warnings.filterwarnings("ignore")

import mlflow  # noqa: E402
from mlflow.tracking import MlflowClient  # noqa: E402


def _pairs(versions):
    return sorted([[str(v.version), v.current_stage] for v in versions], key=lambda p: int(p[0]))


def _all(fn, **kwargs):
    out, token = [], None
    while True:
        page = fn(page_token=token, **kwargs)
        out.extend(page)
        token = page.token
        if not token:
            return out


def dump(uri):
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    models = _all(client.search_registered_models, max_results=1000)
    out = {"mlflow_version": mlflow.__version__, "models": [], "versions": [], "latest": {},
           "aliases": {}}
    for m in models:
        out["models"].append({
            "name": m.name,
            "creation_timestamp": m.creation_timestamp,
            "last_updated_timestamp": m.last_updated_timestamp,
            "description": m.description,
            "tags": dict(sorted(m.tags.items())),
            "aliases": {k: str(v) for k, v in sorted(m.aliases.items())},
            "latest_versions": _pairs(m.latest_versions),
        })
        out["latest"][m.name] = _pairs(client.get_latest_versions(m.name))
        out["aliases"][m.name] = {
            a: str(client.get_model_version_by_alias(m.name, a).version) for a in sorted(m.aliases)
        }
        quoted = m.name.replace("'", "\\'")
        for v in _all(client.search_model_versions, filter_string=f"name = '{quoted}'"):
            full = client.get_model_version(v.name, v.version)
            out["versions"].append({
                "name": full.name,
                "version": str(full.version),
                "creation_timestamp": full.creation_timestamp,
                "last_updated_timestamp": full.last_updated_timestamp,
                "description": full.description,
                "user_id": full.user_id or None,
                "current_stage": full.current_stage,
                "source": full.source,
                "run_id": full.run_id,
                "run_link": full.run_link,
                "status": full.status,
                "status_message": full.status_message,
                "tags": dict(sorted(full.tags.items())),
                "aliases": sorted(full.aliases),
                "download_uri": client.get_model_version_download_uri(full.name, full.version),
            })
    out["versions"].sort(key=lambda v: (v["name"], int(v["version"])))
    return out


if __name__ == "__main__":
    text = json.dumps(dump(sys.argv[1]), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if len(sys.argv) > 2:
        with open(sys.argv[2], "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
