/**
 * The library from outside the repository: a script anywhere imports `mod.ts` by its path and runs
 * with no `--config`, because the modules `mod.ts` reaches name their npm packages in full
 * (`npm:zod@4.6.7`); and those versions are the ones `deno.json` pins for the rest.
 */
import { deepStrictEqual, ok } from "node:assert/strict";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The folders whose modules `mod.ts` reaches: they may not use the import map's bare names. */
const LIBRARY_FOLDERS = ["core", "trace", "analyze", "uapi"];

Deno.test("a script outside the repository imports mod.ts with no --config and replays a trace", async () => {
  const dir = await Deno.makeTempDir({ prefix: "vmreplay-library-" });
  try {
    const script = join(dir, "experiment.ts");
    await Deno.writeTextFile(
      script,
      `import { formatCsv, replayTrace, TraceBuilder, writeTrace } from ${
        JSON.stringify(join(ROOT, "mod.ts"))
      };
const t = new TraceBuilder({ mem: "1M" }).mmap(1, 0x10000, "16K", "rw-", "private,anon")
  .w(1, 0x10000).r(1, 0x11000);
const path = ${JSON.stringify(join(dir, "t.csv"))};
await writeTrace(path, t.header(), t.events());
const run = await replayTrace({ trace: path, strategies: ["anon_vma_chain"] });
const c = run.results.anon_vma_chain!.counters;
console.log(c.minor_faults, c.zero_page_maps, formatCsv(run).split("\\n")[0]!.split(",")[0]);
`,
    );
    // No deno.json in or above the directory, no --config: what a user's script gets. Reading
    // the repository is needed for the replay's workers; writing only for the trace.
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", `--allow-write=${dir}`, script],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(out.stderr);
    deepStrictEqual({ code: out.code, stdout: new TextDecoder().decode(out.stdout) }, {
      code: 0,
      stdout: "2 1 strategy\n",
    }, err);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Every `.ts` file under `dir`, recursively. */
async function* tsFiles(dir: string): AsyncGenerator<string> {
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(dir));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return;
    throw e;
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory) yield* tsFiles(path);
    else if (e.isFile && e.name.endsWith(".ts")) yield path;
  }
}

Deno.test("library modules name npm packages in full, at the versions deno.json pins", async () => {
  const config = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  const pinned = new Map<string, string>();
  for (const [name, target] of Object.entries(config.imports as Record<string, string>)) {
    const m = /^npm:\/?((?:@[^/@]+\/)?[^/@]+)@([^/]+)\/?$/.exec(target);
    if (m) pinned.set(m[1]!, m[2]!);
    ok(m || !name.includes("/") || name.endsWith("/"), `deno.json: unexpected import ${name}`);
  }
  const problems: string[] = [];
  let seen = 0;
  for (const folder of LIBRARY_FOLDERS) {
    for await (const file of tsFiles(join(ROOT, folder))) {
      if (file.endsWith("_test.ts")) continue;
      const text = await Deno.readTextFile(file);
      const where = relative(ROOT, file);
      const specifiers = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)["']([^"']+)["']/gm;
      for (const [, spec] of text.matchAll(specifiers)) {
        const s = spec!;
        if (s.startsWith(".") || s.startsWith("node:")) continue;
        const npm = /^npm:((?:@[^/@]+\/)?[^/@]+)(?:@([^/]+))?(\/.*)?$/.exec(s);
        if (!npm) {
          problems.push(
            `${where}: '${s}' needs deno.json's import map; write it as npm:NAME@VERSION`,
          );
          continue;
        }
        seen++;
        const [, name, version] = npm;
        if (!pinned.has(name!)) {
          problems.push(`${where}: '${s}': deno.json pins no version of ${name}`);
        } else if (version !== pinned.get(name!)) {
          problems.push(`${where}: '${s}': deno.json pins ${name}@${pinned.get(name!)}`);
        }
      }
    }
  }
  deepStrictEqual(problems, []);
  ok(seen > 0, "expected the library to use npm packages (zod, csv-parse, csv-stringify)");
});
