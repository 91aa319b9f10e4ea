/**
 * S3 over https with a private CA: SeaweedFS serving S3 with a certificate of a CA made by
 * `openssl` here, reached through the settings `mlt server` reads (AWS_CA_BUNDLE). Small requests
 * (fetch) and streamed parts (node:https) both check the certificate against the bundle; without
 * the bundle the call fails as unreachable and names the variable to set.
 */
import assert from "node:assert/strict";
import { MltError } from "../src/errors.ts";
import { S3Client } from "../src/store/s3/s3_client.ts";
import { s3ConfigFromEnv } from "../src/store/s3/s3_config.ts";
import { S3ArtifactRepo } from "../src/store/s3/s3_repo.ts";
import { startS3 } from "./helpers/s3.ts";

async function openssl(args: string[]): Promise<void> {
  const out = await new Deno.Command("openssl", { args }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
}

// A private CA and a certificate it signed for 127.0.0.1 (rustls refuses a CA certificate
// used as the server's own), valid a day; a missing openssl fails the test.
async function privateCa(dir: string) {
  const [caFile, caKey, certFile, keyFile] = ["ca.pem", "ca.key", "cert.pem", "key.pem"]
    .map((f) => `${dir}/${f}`);
  const common = ["-newkey", "rsa:2048", "-nodes", "-days", "1"];
  await openssl([
    "req",
    "-x509",
    ...common,
    "-subj",
    "/CN=mlt test CA",
    "-keyout",
    caKey,
    "-out",
    caFile,
  ]);
  await openssl([
    "req",
    "-x509",
    ...common,
    "-subj",
    "/CN=127.0.0.1",
    "-addext",
    "subjectAltName=IP:127.0.0.1",
    "-addext",
    "basicConstraints=critical,CA:FALSE",
    "-CA",
    caFile,
    "-CAkey",
    caKey,
    "-keyout",
    keyFile,
    "-out",
    certFile,
  ]);
  return { caFile, certFile, keyFile };
}

Deno.test("S3 over https: AWS_CA_BUNDLE trusts an endpoint of a private CA", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mlt-s3-tls-" });
  const tls = await privateCa(dir);
  const s3 = await startS3("mlt", tls);
  try {
    const env: Record<string, string> = {
      ...s3.env,
      MLFLOW_S3_ENDPOINT_URL: s3.httpsEndpoint!,
      AWS_CA_BUNDLE: tls.caFile,
    };
    const trusted = new S3Client(s3ConfigFromEnv((k) => env[k]));
    assert.equal(trusted.endpointName, s3.httpsEndpoint);
    const repo = new S3ArtifactRepo(`s3://${s3.bucket}/tls`, trusted);
    await repo.write("small.txt", new TextEncoder().encode("over tls"));
    // More than one 8 MiB part: the parts go through node:https with the bundle as its CA.
    const big = new Uint8Array(9 * 1024 * 1024).map((_, i) => (i * 7) & 0xff);
    await repo.write(
      "big.bin",
      (async function* () {
        yield big.subarray(0, 5_000_000);
        yield big.subarray(5_000_000);
      })(),
    );
    assert.deepEqual(
      (await repo.list()).map((e) => [e.path, e.size]),
      [["big.bin", big.length], ["small.txt", 8]],
    );
    const back = new Uint8Array(
      await new Response((await repo.open("big.bin")).body).arrayBuffer(),
    );
    assert.ok(back.length === big.length && back.every((b, i) => b === big[i]));
    assert.equal(await new Response((await repo.open("small.txt")).body).text(), "over tls");

    // The same endpoint without the bundle: unreachable, with the way out in the message.
    delete env.AWS_CA_BUNDLE;
    const untrusted = new S3ArtifactRepo(
      `s3://${s3.bucket}/tls`,
      new S3Client(s3ConfigFromEnv((k) => env[k])),
    );
    await assert.rejects(untrusted.list(), (e) => {
      assert.ok(e instanceof MltError);
      assert.equal(e.code, "TEMPORARILY_UNAVAILABLE");
      assert.match(e.message, /AWS_CA_BUNDLE=<pem file>/);
      return true;
    });
  } finally {
    await s3.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
