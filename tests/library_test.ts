import { deepStrictEqual } from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

Deno.test("a script outside the repository uses mod.ts with the repository's deno.json", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const script = join(dir, "experiment.ts");
    await Deno.writeTextFile(
      script,
      `import { replayTrace, TraceBuilder, writeTrace } from ${
        JSON.stringify(join(ROOT, "mod.ts"))
      };
const t = new TraceBuilder({ mem: "1M" }).mmap(1, 0x10000, "16K", "rw-", "private,anon")
  .w(1, 0x10000).r(1, 0x11000);
const path = ${JSON.stringify(join(dir, "t.jsonl"))};
await writeTrace(path, t.header(), t.events());
const run = await replayTrace({ trace: path, strategies: ["anon_vma_chain"] });
const c = run.results.anon_vma_chain!.counters;
console.log(c.minor_faults, c.zero_page_maps);
`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--config", join(ROOT, "deno.json"), script],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(out.stderr);
    deepStrictEqual({ code: out.code, stdout: new TextDecoder().decode(out.stdout) }, {
      code: 0,
      stdout: "2 1\n",
    }, err);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
