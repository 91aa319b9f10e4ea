/** Identifiers and clocks: run ids, 18-digit experiment ids, random run names. */

/** A clock returning milliseconds since the epoch; injectable for tests. */
export type Clock = () => number;

/** The real clock. */
export const systemClock: Clock = () => Date.now();

/** A new run id: 32 lowercase hex characters (uuid4 hex, as MLflow). */
export function newRunId(): string {
  return crypto.randomUUID().replaceAll("-", "");
}

/** A new 18-digit experiment id that never starts with 0 (MLflow's file-store scheme). */
export function newExperimentId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  let id = n.toString().slice(-18).padStart(18, "0");
  while (id.startsWith("0")) id = id.slice(1) + String(1 + Math.floor(Math.random() * 9));
  return id;
}

const ADJECTIVES = [
  "able",
  "bold",
  "brave",
  "bright",
  "calm",
  "clean",
  "clever",
  "crisp",
  "dapper",
  "eager",
  "fair",
  "fast",
  "fine",
  "gentle",
  "glad",
  "grand",
  "happy",
  "honest",
  "jolly",
  "keen",
  "kind",
  "lively",
  "loud",
  "lucky",
  "merry",
  "mighty",
  "neat",
  "nimble",
  "polite",
  "proud",
  "quick",
  "quiet",
  "rare",
  "rich",
  "shy",
  "smart",
  "snappy",
  "sunny",
  "swift",
  "tidy",
  "upbeat",
  "vivid",
  "warm",
  "wise",
  "witty",
  "young",
  "zesty",
  "amber",
  "azure",
  "coral",
];
const NOUNS = [
  "ant",
  "bat",
  "bee",
  "carp",
  "cat",
  "colt",
  "crab",
  "crow",
  "deer",
  "doe",
  "dove",
  "duck",
  "eel",
  "elk",
  "finch",
  "fox",
  "frog",
  "goat",
  "gull",
  "hare",
  "hawk",
  "hen",
  "horse",
  "jay",
  "lark",
  "lion",
  "lynx",
  "mole",
  "moth",
  "mouse",
  "newt",
  "owl",
  "ox",
  "panda",
  "pig",
  "pony",
  "ram",
  "rat",
  "seal",
  "shrew",
  "slug",
  "snail",
  "stoat",
  "swan",
  "toad",
  "trout",
  "wasp",
  "whale",
  "wolf",
  "wren",
];

/** A random run name `<adjective>-<noun>-<0..999>`, at most 20 characters. */
export function randomRunName(): string {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(Math.random() * xs.length)];
  return `${pick(ADJECTIVES)}-${pick(NOUNS)}-${Math.floor(Math.random() * 1000)}`;
}

/** A new logged model id: `m-` and 32 lowercase hex digits (MLflow 3's form). */
export function newLoggedModelId(): string {
  return `m-${newRunId()}`;
}
