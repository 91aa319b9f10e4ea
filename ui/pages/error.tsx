/** Error pages: 404 for a missing experiment, run or page; 400 for a bad request; 500 for bugs. */
import type { VNode } from "preact";
import type { Experiment } from "../../src/model.ts";
import { Layout } from "../layout.tsx";
import type { Urls } from "../urls.ts";

/** Props of ErrorPage. */
export interface ErrorPageProps {
  u: Urls;
  status: number;
  /** The error's message (escaped by rendering; never a stack). */
  message: string;
  experiments?: Experiment[];
}

const TITLES: Record<number, string> = {
  400: "Bad request",
  403: "Forbidden",
  404: "Not found",
  500: "Something went wrong",
};

/** An error page with a way back. */
export function ErrorPage(p: ErrorPageProps): VNode {
  const title = TITLES[p.status] ?? `Error ${p.status}`;
  return (
    <Layout
      title={title}
      u={p.u}
      sidebar={p.experiments ? { experiments: p.experiments } : undefined}
    >
      <h1>{title}</h1>
      <div class="error" role="alert">{p.message}</div>
      <p>
        <a href={p.u.home()}>Back to the experiments</a>
      </p>
    </Layout>
  );
}
