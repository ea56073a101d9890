/**
 * `import champsim`: a ChampSim trace written here (raw, .gz and .xz) imports with exactly its
 * loads and stores and replays without segv; its options are checked.
 *
 * The .xz case needs xz (Debian's xz-utils): without it the test fails when `CI` is set, and is
 * skipped with the reason otherwise.
 */
import { deepStrictEqual, equal, match } from "node:assert/strict";
import { join } from "node:path";
import { readTrace } from "../trace/read.ts";
import { replayTrace } from "../analyze/replay.ts";
import { vmreplay } from "./_cli.ts";
import { toolRuns } from "../trace/_command.ts";

/** 1000 instructions: every third loads two addresses, every fifth stores one. */
function trace(): { bytes: Uint8Array<ArrayBuffer>; accesses: string[] } {
  const n = 1000;
  const bytes = new Uint8Array(n * 64);
  const v = new DataView(bytes.buffer);
  const accesses: string[] = [];
  for (let i = 0; i < n; i++) {
    const at = i * 64;
    v.setBigUint64(at, 0x401000n + BigInt(i * 4), true);
    if (i % 3 === 0) {
      const a = 0x7f0000000000 + i * 4096 * 3;
      const b = 0x600000 + (i % 64) * 8;
      v.setBigUint64(at + 32, BigInt(a), true);
      v.setBigUint64(at + 48, BigInt(b), true); // source_memory[2]; [1] stays 0
      accesses.push(`r ${a}`, `r ${b}`);
    }
    if (i % 5 === 0) {
      const c = 0x7ffc00000000 - (i % 200) * 4096 - 8;
      v.setBigUint64(at + 24, BigInt(c), true); // destination_memory[1]
      accesses.push(`w ${c}`);
    }
  }
  return { bytes, accesses };
}

async function accessesOf(path: string): Promise<string[]> {
  const r = await readTrace(path);
  const out: string[] = [];
  for await (const ev of r.events()) {
    if (ev.op === "r" || ev.op === "w" || ev.op === "x") out.push(`${ev.op} ${ev.addr}`);
  }
  await r.close();
  return out;
}

const xz = await toolRuns("xz");
const inCI = Boolean(Deno.env.get("CI"));
if (!xz && !inCI) console.error("import_champsim_test.ts: xz not found: the .xz case is skipped");

Deno.test("import champsim: exactly the trace's loads and stores, raw, .gz and .xz; no segv", async () => {
  if (!xz && inCI) throw new Error("xz is needed (apt-get install xz-utils) and CI is set");
  const dir = await Deno.makeTempDir();
  try {
    const { bytes, accesses } = trace();
    const raw = join(dir, "t.champsim");
    await Deno.writeFile(raw, bytes);
    const gz = `${raw}.gz`;
    const zipped = new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip"));
    await Deno.writeFile(gz, new Uint8Array(await new Response(zipped).arrayBuffer()));
    const inputs = [raw, gz];
    if (xz) {
      equal((await new Deno.Command("xz", { args: ["-k", raw] }).output()).success, true);
      inputs.push(`${raw}.xz`);
    }
    for (const input of inputs) {
      const out = join(dir, "t.vmtb");
      const r = await vmreplay("import", "champsim", input, "-o", out);
      equal(r.code, 0, r.stderr);
      match(
        r.stdout,
        new RegExp(`1000 records, .* ${accesses.length} loads and stores, \\d+ areas`),
      );
      match(r.stdout, /; 0 warnings/);
      deepStrictEqual(await accessesOf(out), accesses, input);
      const run = await replayTrace({ trace: out, strategies: ["anon_vma_chain"], verify: true });
      const c = run.results.anon_vma_chain!.counters;
      deepStrictEqual([c.segv, c.warnings, c.verify_errors], [0, 0, 0], input);
    }
    const withInstr = join(dir, "i.vmt");
    const r = await vmreplay("import", "champsim", raw, "--instr", "-o", withInstr);
    equal(r.code, 0, r.stderr);
    equal((await accessesOf(withInstr)).filter((a) => a.startsWith("x ")).length, 1000);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("import champsim|perf: options of other importers are usage errors", async () => {
  const cases: [string[], RegExp][] = [
    [["champsim", "t.champsim", "--touch", "all"], /--touch applies to 'import strace' only/],
    [["perf", "t.perf", "--instr"], /--instr applies to 'import champsim' only/],
    [["perf", "t.perf", "--pid", "3"], /--pid applies to 'import strace\|lackey\|champsim' only/],
    [["perf", "t.perf", "--vm", "zero_page=maybe"], /--vm: /],
  ];
  for (const [args, want] of cases) {
    const r = await vmreplay("import", ...args, "-o", "/tmp/never-written.vmt");
    equal(r.code, 2, args.join(" "));
    match(r.stderr, want);
  }
});
