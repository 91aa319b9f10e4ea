import assert from "node:assert/strict";
import {
  checkSecret,
  hashPassword,
  parseSecret,
  SecretFormatError,
  timingSafeEqual,
} from "./passwords.ts";

// Made by Python: werkzeug's generate_password_hash and hashlib.pbkdf2_hmac (Django's layout).
const VECTORS: [string, string][] = [
  [
    "pbkdf2:sha256:2000$V7fK3PLQMuwTYL6i$2a50374c53af43dbf42608854b1f75f0a99cedd3954d80719af607226ee1dd51",
    "werkzeug pw",
  ],
  [
    "pbkdf2:sha512:1200$abcdefgh$75ab8f32ec5c84a4d1566fb4e34cb50c7a20947a6860e12a43c244f0afbac130c3ff2fa8ef20b81bdb08045a721f057df18de2e632e1956b7e46ecea203629c1",
    "wz pw",
  ],
  ["pbkdf2_sha256$1000$saltsalt$nabB0X/ETyQYH1FS1qkFnDruKCFRr7KtdejaTvYctzc=", "django pw"],
];

Deno.test("parseSecret() reads werkzeug and Django PBKDF2 hashes that checkSecret() verifies", async () => {
  for (const [hash, password] of VECTORS) {
    const stored = await parseSecret(hash);
    assert.equal(stored.kind, "pbkdf2", hash);
    assert.equal(await checkSecret(password, stored), true, hash);
    assert.equal(await checkSecret(password + " ", stored), false, hash);
    assert.equal(await checkSecret("", stored), false, hash);
  }
});

Deno.test("parseSecret() keeps plain passwords as digests and refuses unusable secrets", async () => {
  const plain = await parseSecret("correct horse");
  assert.equal(plain.kind, "plain");
  assert.ok(!JSON.stringify(plain).includes("correct"), "no plain text kept");
  assert.equal(await checkSecret("correct horse", plain), true);
  assert.equal(await checkSecret("correct hors", plain), false);
  const refused = [
    "",
    "scrypt:32768:8:1$salt$abcdef",
    "$2b$12$abcdefghijklmnopqrstuv",
    "$argon2id$v=19$m=65536$x$y",
    "pbkdf2:sha256:1000$salt$nothex",
    "pbkdf2:md5:1000$salt$abcd",
    "pbkdf2:sha256:0$salt$abcd",
    "pbkdf2_sha256$1000$salt",
  ];
  for (const s of refused) await assert.rejects(parseSecret(s), SecretFormatError, s);
});

Deno.test("hashPassword() makes werkzeug-format hashes with fresh salts", async () => {
  const a = await hashPassword("pw", 1000);
  const b = await hashPassword("pw", 1000);
  assert.match(a, /^pbkdf2:sha256:1000\$[A-Za-z0-9]{16}\$[0-9a-f]{64}$/);
  assert.notEqual(a, b);
  assert.equal(await checkSecret("pw", await parseSecret(a)), true);
  assert.equal(await checkSecret("pw!", await parseSecret(a)), false);
});

Deno.test("timingSafeEqual() compares bytes and lengths", () => {
  const u = (...b: number[]) => new Uint8Array(b);
  assert.equal(timingSafeEqual(u(1, 2, 3), u(1, 2, 3)), true);
  assert.equal(timingSafeEqual(u(1, 2, 3), u(1, 2, 4)), false);
  assert.equal(timingSafeEqual(u(1, 2), u(1, 2, 3)), false);
  assert.equal(timingSafeEqual(u(1, 2, 3), u(1, 2)), false);
  assert.equal(timingSafeEqual(u(), u()), true);
});
