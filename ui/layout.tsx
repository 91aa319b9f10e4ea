/** The page frame: header, optional experiments sidebar, main content, the client script. */
import type { ComponentChildren, VNode } from "preact";
import type { Experiment } from "../src/model.ts";
import { MLFLOW_VERSION, MLT_VERSION } from "../src/version.ts";
import type { Urls } from "./urls.ts";
import { Sidebar } from "./components/sidebar.tsx";

/** Props of Layout. */
export interface LayoutProps {
  title: string;
  u: Urls;
  /** The experiments sidebar; omitted on wide pages (compare, metric). */
  sidebar?: { experiments: Experiment[]; current?: string; query?: string };
  children: ComponentChildren;
}

/** Wraps a page's content in the common frame. */
export function Layout(props: LayoutProps): VNode {
  const { u } = props;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{props.title} · mlt</title>
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href={u.asset("style.css")} />
        <script type="module" src={u.asset("client.js")} />
      </head>
      <body data-prefix={u.prefix}>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top">
          <a class="brand" href={u.home()}>mlt</a>
          <nav aria-label="Site">
            <a href={u.home()}>Experiments</a>
            <a href={u.registry()}>Models</a>
          </nav>
          <span class="ver" title={`mlt ${MLT_VERSION} serves MLflow ${MLFLOW_VERSION}'s REST API`}>
            mlt {MLT_VERSION} · MLflow {MLFLOW_VERSION} API
          </span>
        </header>
        <div class={props.sidebar ? "shell" : "shell wide"}>
          {props.sidebar && <Sidebar u={u} {...props.sidebar} />}
          <main id="main" tabIndex={-1}>{props.children}</main>
        </div>
      </body>
    </html>
  );
}
