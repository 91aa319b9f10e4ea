/**
 * The REST registry: the shared contract against a real `mlt` REST app on a real socket (a file
 * store behind it), plus the wire details only HTTP has.
 */
import { RestRegistryStore } from "../src/store/rest/registry_rest.ts";
import { startRegistryServer } from "./helpers/registry_server.ts";
import { registryContract } from "./registry_contract.ts";
import { fakeClock } from "./store_contract.ts";

registryContract("rest", async () => {
  const srv = await startRegistryServer(fakeClock());
  const registry = new RestRegistryStore(srv.url, { http: { maxRetries: 0 } });
  return { registry, cleanup: () => srv.close() };
});
