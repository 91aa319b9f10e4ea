/**
 * Git for the runner: fetch a remote project into a temporary checkout, and read the commit and
 * remote of a local one. git never prompts (GIT_TERMINAL_PROMPT=0, ssh BatchMode), gets `--` or
 * `--end-of-options` before URLs and refs, may not use `ext::`, and is killed after a timeout.
 */
import { MltError } from "../errors.ts";

/** Where git runs and for how long. */
export interface GitOptions {
  /** The environment git starts from (the user's). */
  env: Record<string, string>;
  /** Milliseconds before a git command is killed (default 120 000). */
  timeoutMs?: number;
}

/** The git facts MLflow records as tags. */
export interface GitInfo {
  commit?: string;
  repoUrl?: string;
  branch?: string;
  /** The work tree root (for `mlflow.source.name` of local projects). */
  worktree?: string;
}

function gitEnv(env: Record<string, string>): Record<string, string> {
  return {
    ...env,
    GIT_TERMINAL_PROMPT: "0",
    GIT_SSH_COMMAND: env.GIT_SSH_COMMAND ?? "ssh -o BatchMode=yes",
    LC_ALL: "C",
  };
}

/** Runs git; returns stdout, or throws MltError with git's last stderr line. */
export async function git(args: string[], opts: GitOptions, cwd?: string): Promise<string> {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command("git", {
      args: ["-c", "protocol.ext.allow=never", "-c", "protocol.fd.allow=never", ...args],
      cwd,
      env: gitEnv(opts.env),
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(timeoutMs),
    }).output();
  } catch (e) {
    if (e instanceof DOMException || (e as Error)?.name === "TimeoutError") {
      throw new MltError("DEADLINE_EXCEEDED", `git ${args[0]} timed out after ${timeoutMs} ms`);
    }
    throw new MltError("INTERNAL_ERROR", `Cannot run git: ${(e as Error).message}`, { cause: e });
  }
  if (!out.success) {
    if (out.signal) {
      throw new MltError("DEADLINE_EXCEEDED", `git ${args[0]} timed out after ${timeoutMs} ms`);
    }
    const err = new TextDecoder().decode(out.stderr).trim().split("\n").filter((l) => l).pop();
    throw new MltError(
      "INVALID_PARAMETER_VALUE",
      `git ${args[0]} failed: ${err ?? `exit ${out.code}`}`,
    );
  }
  return new TextDecoder().decode(out.stdout).trim();
}

/** Fetches `url` at `version` (or the remote's HEAD) into `dir` (an empty directory). */
export async function fetchProject(
  url: string,
  version: string | undefined,
  dir: string,
  opts: GitOptions,
): Promise<GitInfo> {
  if (url.startsWith("-")) {
    throw new MltError("INVALID_PARAMETER_VALUE", `Invalid git URL "${url}"`);
  }
  await git(["init", "--quiet", "--", dir], opts);
  await git(["remote", "add", "--", "origin", url], opts, dir);
  const ref = version ?? "HEAD";
  try {
    await git(["fetch", "--quiet", "--depth", "1", "--end-of-options", "origin", ref], opts, dir);
  } catch (e) {
    if (!version || !/^[0-9a-f]{7,40}$/i.test(version)) {
      throw new MltError(
        "INVALID_PARAMETER_VALUE",
        `Cannot fetch ${version ? `version "${version}" of ` : ""}git repository "${url}": ${
          (e as Error).message
        }`,
      );
    }
    // A (short) commit id that the server will not serve shallowly: fetch everything.
    await git(["fetch", "--quiet", "--tags", "--end-of-options", "origin"], opts, dir);
  }
  const target = version && !(await hasFetchHead(dir, opts)) ? version : "FETCH_HEAD";
  try {
    // Resolve to a commit id first: `checkout` has no --end-of-options, a hex id cannot be an option.
    const sha = await git(
      ["rev-parse", "--verify", "--quiet", "--end-of-options", `${target}^{commit}`],
      opts,
      dir,
    );
    await git(["checkout", "--quiet", "--detach", sha], opts, dir);
  } catch (e) {
    throw new MltError(
      "INVALID_PARAMETER_VALUE",
      `Cannot check out version "${version ?? "HEAD"}" of git repository "${url}": ${
        (e as Error).message
      }`,
    );
  }
  // Submodule URLs come from the repository, not the user: no file:// (or ext::) for them.
  const submoduleEnv = { ...opts.env, GIT_PROTOCOL_FROM_USER: "0" };
  await git(["submodule", "update", "--init", "--recursive", "--depth", "1"], {
    ...opts,
    env: submoduleEnv,
  }, dir);
  const info: GitInfo = { commit: await git(["rev-parse", "HEAD"], opts, dir), repoUrl: url };
  if (version) {
    const heads = await git(
      ["ls-remote", "--heads", "--", "origin", `refs/heads/${version}`],
      opts,
      dir,
    )
      .catch(() => "");
    if (heads) info.branch = version;
  }
  return info;
}

async function hasFetchHead(dir: string, opts: GitOptions): Promise<boolean> {
  try {
    await git(["rev-parse", "--verify", "--quiet", "FETCH_HEAD"], opts, dir);
    return true;
  } catch {
    return false;
  }
}

/** Commit, first remote and work tree of a local directory; empty when it is not in git. */
export async function localGitInfo(dir: string, opts: GitOptions): Promise<GitInfo> {
  const quick = { ...opts, timeoutMs: opts.timeoutMs ?? 10_000 };
  try {
    const worktree = await git(["rev-parse", "--show-toplevel"], quick, dir);
    const info: GitInfo = { worktree };
    info.commit = await git(["rev-parse", "HEAD"], quick, dir).catch(() => undefined);
    const remote = (await git(["remote"], quick, dir).catch(() => "")).split("\n")[0];
    if (remote) {
      info.repoUrl = await git(["remote", "get-url", remote], quick, dir).catch(() => undefined);
    }
    return info;
  } catch {
    return {};
  }
}

/** True when `dir` is a bare git repository (cloned, not run in place). */
export async function isBareRepo(dir: string, opts: GitOptions): Promise<boolean> {
  try {
    return (await git(
      ["rev-parse", "--is-bare-repository"],
      { ...opts, timeoutMs: 10_000 },
      dir,
    )) ===
      "true";
  } catch {
    return false;
  }
}
