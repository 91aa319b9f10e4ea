/**
 * One registered model version: its fields, source (logged model and run linked), and its
 * description and tags with their edit forms.
 */
import type { VNode } from "preact";
import type { ModelVersion } from "../../src/registry_model.ts";
import { Kv } from "../components/kv_table.tsx";
import { Description, TagsEditor } from "../components/tags_editor.tsx";
import { ModelStatus } from "../components/logged_models.tsx";
import { Time } from "../components/status.tsx";
import { Layout } from "../layout.tsx";
import type { Urls } from "../urls.ts";
import { type VersionLinks, VersionSource } from "./registry.tsx";

/** Props of a version's page. */
export interface ModelVersionPageProps {
  u: Urls;
  version: ModelVersion;
  links: VersionLinks;
  now: number;
}

/** A registered model version's page. */
export function ModelVersionPage({ u, version: v, links, now }: ModelVersionPageProps): VNode {
  const base = `registered-models/${encodeURIComponent(v.name)}/versions/${
    encodeURIComponent(String(v.version))
  }`;
  return (
    <Layout title={`${v.name} version ${v.version} · Models`} u={u}>
      <div class="crumbs">
        <a href={u.registry()}>Models</a> / <a href={u.registeredModel(v.name)}>{v.name}</a>
        {` / Version ${v.version}`}
      </div>
      <h1>
        {v.name} version {v.version} <ModelStatus status={v.status} />
      </h1>
      <table class="kv" id="version-info">
        <tbody>
          <Kv k="Aliases">
            {v.aliases.map((a) => <span key={a} class="tag small">@{a}</span>)}
          </Kv>
          <Kv k="Stage">{v.currentStage}</Kv>
          <Kv k="Source">
            <VersionSource u={u} v={v} links={links} />
          </Kv>
          <Kv k="Created">
            <Time ms={v.creationTimestamp} now={now} />
          </Kv>
          <Kv k="Last updated">
            <Time ms={v.lastUpdatedTimestamp} now={now} />
          </Kv>
          <Kv k="User">{v.userId ?? ""}</Kv>
          <Kv k="URI">
            <span class="mono">models:/{v.name}/{v.version}</span>
          </Kv>
        </tbody>
      </table>
      <h2>Description</h2>
      <div id="version-description">
        <Description text={v.description ?? ""} action={u.action(`${base}/description`)} />
      </div>
      <h2 id="tags">Tags</h2>
      <TagsEditor
        tags={v.tags}
        id="version-tags"
        setAction={u.action(`${base}/tags`)}
        deleteAction={u.action(`${base}/tags/delete`)}
        deletable={() => true}
      />
    </Layout>
  );
}
