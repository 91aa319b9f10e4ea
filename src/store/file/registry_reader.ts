/**
 * Reading the file store's registry (`<root>/models/`, MLflow's layout): a model's meta.yaml,
 * `tags/` (keys with `/` nest), `aliases/` (one file per alias holding the version) and
 * `version-<n>/` folders with their own meta.yaml and `tags/`. Symlinks are never followed;
 * malformed entries are skipped with one warning each, never repaired.
 */
import { join } from "node:path";
import type { Tag } from "../../model.ts";
import type { ModelVersion, RegisteredModel, RegisteredModelAlias } from "../../registry_model.ts";
import { isDir, listDir, readText, walkFiles } from "./file_io.ts";
import { metaPath } from "./layout.ts";
import { parseYamlMapping } from "./format.ts";
import { aliasFromFile, modelVersionFromYaml, registeredModelFromYaml } from "./registry_format.ts";

/** The folder of all registered models under a store root. */
export function modelsDir(root: string): string {
  return join(root, "models");
}

/** The folder of one registered model (the name is already validated as a path). */
export function modelDir(root: string, name: string): string {
  return join(modelsDir(root), name);
}

/** The folder of one model version. */
export function versionDir(model: string, version: number): string {
  return join(model, `version-${version}`);
}

/** A model as stored: its fields, raw meta.yaml, tags and aliases (versions are read apart). */
export interface StoredModel {
  dir: string;
  meta: Record<string, unknown>;
  model: Omit<RegisteredModel, "latestVersions">;
}

/** A version as stored: the entity, its raw meta.yaml and its storage location. */
export interface StoredVersion {
  dir: string;
  meta: Record<string, unknown>;
  version: ModelVersion;
  storageLocation?: string;
}

const VERSION_DIR = /^version-(\d+)$/;

/** Reads the registry of one store root, warning once per malformed entry. */
export class RegistryReader {
  #warned = new Set<string>();
  constructor(readonly root: string, readonly warn: (message: string) => void) {}

  #warnOnce(message: string): void {
    if (this.#warned.has(message)) return;
    this.#warned.add(message);
    this.warn(message);
  }

  // A meta.yaml as a mapping; undefined (after a warning) when absent or malformed.
  #meta(dir: string): Record<string, unknown> | undefined {
    const text = readText(metaPath(dir));
    if (text === undefined) return undefined;
    const meta = parseYamlMapping(text);
    if (!meta) this.#warnOnce(`Skipping "${dir}": its meta.yaml is not a YAML mapping.`);
    return meta;
  }

  /** Tags stored as files under `<dir>/tags`, sorted by key. */
  tags(dir: string): Tag[] {
    const tagsDir = join(dir, "tags");
    if (!isDir(tagsDir)) return [];
    return walkFiles(tagsDir).sort().map((key) => ({
      key,
      value: readText(join(tagsDir, ...key.split("/"))) ?? "",
    }));
  }

  /** The aliases of a model, sorted by name. */
  aliases(dir: string): RegisteredModelAlias[] {
    const aliasesDir = join(dir, "aliases");
    if (!isDir(aliasesDir)) return [];
    const out: RegisteredModelAlias[] = [];
    for (const name of walkFiles(aliasesDir).sort()) {
      const a = aliasFromFile(name, readText(join(aliasesDir, name)) ?? "");
      if (a) out.push(a);
      else this.#warnOnce(`Skipping alias "${name}" of "${dir}": not a version number.`);
    }
    return out;
  }

  /** A registered model by its folder; undefined when absent or unreadable. */
  model(dir: string): StoredModel | undefined {
    if (!isDir(dir)) return undefined;
    const meta = this.#meta(dir);
    if (!meta) return undefined;
    try {
      const fields = registeredModelFromYaml(meta);
      return {
        dir,
        meta,
        model: { ...fields, tags: this.tags(dir), aliases: this.aliases(dir) },
      };
    } catch (e) {
      this.#warnOnce(`Skipping malformed registered model "${dir}": ${(e as Error).message}`);
      return undefined;
    }
  }

  /** Every registered model folder (real directories only). */
  modelDirs(): string[] {
    const out: string[] = [];
    for (const e of listDir(modelsDir(this.root))) {
      if (e.isDirectory) out.push(join(modelsDir(this.root), e.name));
    }
    return out;
  }

  /** One version by its folder; undefined when absent or unreadable. */
  version(dir: string, aliases: RegisteredModelAlias[]): StoredVersion | undefined {
    if (!isDir(dir)) return undefined;
    const meta = this.#meta(dir);
    if (!meta) return undefined;
    try {
      const { version, storageLocation } = modelVersionFromYaml(meta);
      const names = aliases.filter((a) => a.version === version.version).map((a) => a.alias);
      return {
        dir,
        meta,
        version: { ...version, tags: this.tags(dir), aliases: names },
        storageLocation,
      };
    } catch (e) {
      this.#warnOnce(`Skipping malformed model version "${dir}": ${(e as Error).message}`);
      return undefined;
    }
  }

  /** Every version of a model (deleted tombstones included), by number. */
  versions(model: string, aliases: RegisteredModelAlias[]): StoredVersion[] {
    const out: StoredVersion[] = [];
    for (const n of this.versionNumbers(model)) {
      const v = this.version(versionDir(model, n), aliases);
      if (v) out.push(v);
    }
    return out;
  }

  /** The numbers of a model's version folders, ascending. */
  versionNumbers(model: string): number[] {
    const out: number[] = [];
    for (const e of listDir(model)) {
      const m = VERSION_DIR.exec(e.name);
      if (m && e.isDirectory) out.push(Number(m[1]));
    }
    return out.sort((a, b) => a - b);
  }
}
