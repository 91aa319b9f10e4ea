import assert from "node:assert/strict";
import { join } from "node:path";
import { startRestServer } from "../../../tests/helpers/rest_server.ts";
import { downloadPath, openArtifactRepo } from "../artifacts.ts";
import { ServerRunArtifactRepo } from "./artifacts_http.ts";
import { HttpTransport } from "./rest_http.ts";
import { RestStore } from "./rest_store.ts";

Deno.test("a run's server-side local artifacts are read through artifacts/list and get-artifact", async () => {
  const srv = await startRestServer();
  const out = await Deno.makeTempDir({ prefix: "mlt-server-artifacts-" });
  try {
    const store = new RestStore(srv.url);
    const exp = await store.createExperiment("local", join(srv.dir, "local", "exp"));
    const run = (await store.createRun({ experimentId: exp })).info;
    const dir = join(srv.dir, "local", "exp", run.runId, "artifacts");
    await Deno.mkdir(join(dir, "sub"), { recursive: true });
    await Deno.writeTextFile(join(dir, "a.txt"), "alpha");
    await Deno.writeTextFile(join(dir, "sub", "b.txt"), "beta");
    // This machine is the server's, so pretend the folder is elsewhere: the repo is forced.
    const repo = new ServerRunArtifactRepo(run.artifactUri, new HttpTransport(srv.url), run.runId);
    assert.deepEqual(await repo.list(), [
      { path: "a.txt", isDir: false, size: 5 },
      { path: "sub", isDir: true },
    ]);
    assert.deepEqual((await repo.list("sub")).map((e) => e.path), ["sub/b.txt"]);
    assert.equal(await new Response((await repo.open("sub/b.txt")).body).text(), "beta");
    await downloadPath(repo, "", out);
    assert.equal(await Deno.readTextFile(join(out, "sub", "b.txt")), "beta");
    await assert.rejects(repo.write("c.txt", new Uint8Array([1])), /no upload endpoint/);
    const missing = openArtifactRepo("file:///nowhere/on/this/machine", {
      trackingUri: srv.url,
      runId: run.runId,
    });
    assert.ok(missing instanceof ServerRunArtifactRepo);
  } finally {
    await Deno.remove(out, { recursive: true });
    await srv.close();
  }
});
