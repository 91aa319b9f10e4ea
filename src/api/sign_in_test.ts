/** Sign-in under attack: bounded, fair password checks; the client address behind proxies. */
import assert from "node:assert/strict";
import { testApp } from "../../tests/helpers/api.ts";
import { Auth } from "./auth.ts";
import { clientAddress, parseTrustedProxies } from "./client_ip.ts";
import { hashPassword } from "./passwords.ts";
import { CheckGate, FailureCounter } from "./sign_in_gate.ts";

const basic = (user: string, pw: string) => "Basic " + btoa(`${user}:${pw}`);

Deno.test("--auth basic: 60 parallel wrong passwords neither run at once nor hold up another user", async () => {
  const auth = await Auth.create({
    users: [
      ["alice", await hashPassword("alice-pw", 20_000)],
      ["bob", await hashPassword("bob-pw", 20_000)],
    ],
  });
  const t = await testApp({ auth });
  try {
    let wrongDone = 0;
    const get = (authorization: string, from: string) =>
      t.app.request("/api/2.0/mlflow/experiments/search?max_results=1", {
        headers: { authorization },
      }, { remoteAddr: { hostname: from } });
    const flood = Array.from(
      { length: 60 },
      (_, i) =>
        Promise.resolve(get(basic("alice", `guess${i}`), "10.0.0.66")).then(async (r) => {
          await r.body?.cancel();
          wrongDone++;
          return r.status;
        }),
    );
    const bob = await get(basic("bob", "bob-pw"), "10.0.0.7");
    const doneWhenBobIn = wrongDone;
    assert.equal(bob.status, 200);
    await bob.body?.cancel();
    // Bob's check took the next free slot: the flood's checks run one at a time, in their lane.
    // Without lanes he would wait behind all 60; the bound leaves room for a loaded machine,
    // where a few of the flood's checks finish before bob's request reaches the gate (4 seen).
    assert.ok(doneWhenBobIn <= 12, `${doneWhenBobIn} wrong checks ran before bob's`);
    const statuses = await Promise.all(flood);
    assert.ok(statuses.every((s) => s === 401 || s === 429), statuses.join());
    assert.ok(auth.peakChecks <= 2, `${auth.peakChecks} checks at once`);
  } finally {
    await t.close();
  }
});

Deno.test("CheckGate runs lanes round-robin, low-priority lanes last, one check per lane", async () => {
  const gate = new CheckGate(1);
  const order: string[] = [];
  let release!: () => void;
  const blocker = gate.run("x", false, () => new Promise<void>((r) => release = r));
  const jobs = [
    gate.run("a", false, () => Promise.resolve(void order.push("a1"))),
    gate.run("a", false, () => Promise.resolve(void order.push("a2"))),
    gate.run("s", true, () => Promise.resolve(void order.push("s1"))),
    gate.run("b", false, () => Promise.resolve(void order.push("b1"))),
  ];
  release();
  await Promise.all([blocker, ...jobs]);
  assert.deepEqual(order, ["a1", "b1", "a2", "s1"]);
  assert.equal(gate.peak, 1);
});

Deno.test("FailureCounter keeps a bounded number of keys, dropping the oldest", () => {
  let now = 0;
  const f = new FailureCounter(2, () => now, 3);
  for (const k of ["a", "b", "c", "d"]) f.fail(k);
  assert.equal(f.count("a"), 0);
  assert.equal(f.count("d"), 1);
  f.fail("d");
  assert.ok(f.over("d"));
  now += 60_000;
  assert.ok(!f.over("d"));
});

Deno.test("clientAddress() believes X-Forwarded-For only from a trusted proxy", () => {
  const proxies = parseTrustedProxies(["10.0.0.0/8", "::1"]);
  const cases: [string | undefined, string | null, string][] = [
    ["203.0.113.9", "1.2.3.4", "203.0.113.9"], // not a proxy: header ignored
    ["10.1.2.3", "1.2.3.4", "1.2.3.4"],
    ["10.1.2.3", "6.6.6.6, 1.2.3.4, 10.9.9.9", "1.2.3.4"], // rightmost untrusted hop
    ["::1", "5.6.7.8", "5.6.7.8"],
    ["::ffff:10.0.0.1", "9.9.9.9", "9.9.9.9"],
    ["10.1.2.3", null, "10.1.2.3"],
    [undefined, "1.2.3.4", "local"],
  ];
  for (const [peer, xff, want] of cases) {
    assert.equal(clientAddress(peer, xff, proxies), want, `${peer} ${xff}`);
  }
  assert.equal(clientAddress("10.1.2.3", "1.2.3.4", undefined), "10.1.2.3");
  assert.throws(() => parseTrustedProxies(["example.com"]), /Invalid trusted proxy "example.com"/);
  assert.throws(() => parseTrustedProxies(["10.0.0.0/40"]), /Invalid trusted proxy/);
});
