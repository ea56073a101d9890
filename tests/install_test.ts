/**
 * `deno task install`: Deno's own `deno install --global` of `main.ts` with the repository's
 * configuration, into a temporary root (`DENO_INSTALL_ROOT`), then the installed `vmreplay` run
 * from other directories with relative paths, as a user runs it.
 */
import { deepStrictEqual, doesNotMatch, match } from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const decoder = new TextDecoder();

/** Runs `cmd args` in `cwd` with `env` added; returns its exit code and output. */
async function sh(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}) {
  const out = await new Deno.Command(cmd, { args, cwd, env, stdout: "piped", stderr: "piped" })
    .output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

Deno.test("deno task install: a vmreplay command that works from any directory, with no task line", async () => {
  const root = await Deno.makeTempDir({ prefix: "vmreplay-install-" });
  try {
    const install = await sh(Deno.execPath(), ["task", "install"], ROOT, {
      DENO_INSTALL_ROOT: root,
    });
    deepStrictEqual(install.code, 0, install.stderr);
    const vmreplay = join(root, "bin", "vmreplay");
    // The command the shim runs is the `deno` on the PATH, as for any `deno install`.
    const env = { PATH: `${dirname(Deno.execPath())}:${Deno.env.get("PATH") ?? ""}` };

    const validate = await sh(vmreplay, ["validate", "basic.vmt"], join(ROOT, "fixtures"), env);
    deepStrictEqual(validate.code, 0, validate.stderr);
    match(validate.stdout, /^basic\.vmt: ok, 9 events/);
    deepStrictEqual(validate.stderr, "");

    const work = join(root, "work");
    await Deno.mkdir(join(work, "out"), { recursive: true });
    const gen = await sh(
      vmreplay,
      ["gen", "aim7", "--children=2", "--pages=8", "-o", "aim7.vmt"],
      work,
      env,
    );
    deepStrictEqual(gen.code, 0, gen.stderr);
    const run = await sh(
      vmreplay,
      [
        "run",
        "aim7.vmt",
        "--strategies",
        "anon_vma,anon_vma_chain",
        "--json",
        "out/aim7.json",
        "--db",
        "out/runs.db",
      ],
      work,
      env,
    );
    deepStrictEqual(run.code, 0, run.stderr);
    match(run.stdout, /^aim7\.vmt: \d+ events/);
    doesNotMatch(run.stderr, /^Task /m);
    match(run.stderr, /saved as run 1 in out\/runs\.db/);
    const json = JSON.parse(await Deno.readTextFile(join(work, "out", "aim7.json")));
    deepStrictEqual(Object.keys(json.results), ["anon_vma", "anon_vma_chain"]);

    const missing = await sh(vmreplay, ["validate", "nowhere.vmt"], work, env);
    deepStrictEqual(missing.code, 1);
    match(missing.stderr, /^nowhere\.vmt: /);
    doesNotMatch(missing.stderr, /^Task /m);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
