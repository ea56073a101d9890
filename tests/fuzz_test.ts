/**
 * A seeded fuzz suite (issue #14): mutations of every trace form (text, JSON Lines, CSV, `.vmtb`,
 * each gzipped too), of strace and lackey input, and of API requests. Every case must end in a
 * clean result or in the error a user sees as exit status 1 (a `TraceError` or `ImportError`
 * naming the input, with its line where the input has lines) or a 4xx answer: never another
 * exception, never a 5xx, never a hang. The seeds are fixed, so a failure names a case that fails
 * again the same way (`FUZZ_SEED=N` tries other seeds).
 */
import { deepStrictEqual, ok } from "node:assert/strict";
import { Rng } from "../trace/_rng.ts";
import { readTraceBytes } from "../trace/read.ts";
import { TraceError } from "../trace/error.ts";
import type { Event } from "../trace/event.ts";
import { EventBatch } from "../trace/batch.ts";
import { writeTrace } from "../trace/write.ts";
import { importStrace } from "../trace/import/strace/importer.ts";
import { importLackey } from "../trace/import/lackey/importer.ts";
import { ImportError } from "../trace/import/import_stats.ts";
import { replayStrategy } from "../analyze/replay_strategy.ts";
import { testApp } from "./_server.ts";

const SEED = Number(Deno.env.get("FUZZ_SEED") ?? "14");
const FIXTURE = new URL("../fixtures/every_op.vmt", import.meta.url).pathname;
const STRACE = new URL("../fixtures/strace/threads.strace", import.meta.url).pathname;
const LACKEY = new URL("../fixtures/lackey/touch.lackey.gz", import.meta.url).pathname;

const te = new TextEncoder(), td = new TextDecoder();

/** Numbers that sit on the edges of every range a trace has. */
const EDGES = [
  "0",
  "1",
  "-1",
  "4095",
  "4097",
  "0x7ffff000",
  "0x7ffff001",
  "4T",
  "8192G",
  "65536G",
  "9007199254740991",
  "9007199254740992",
  "99999999999999999999",
  "0x1ffffffffffffff",
  "0x200000000000000",
  "2147483647",
  "2147483648",
  "1e3",
  "NaN",
  "",
  "\u0000",
  "é✓",
];

/** One mutation of `bytes`: a byte flipped, a range removed or repeated, junk or an edge number. */
function mutate(rng: Rng, bytes: Uint8Array, text: boolean): Uint8Array {
  const n = bytes.length;
  const at = rng.int(Math.max(1, n));
  const out = [...bytes];
  switch (rng.int(text ? 7 : 5)) {
    case 0:
      out[at] = out[at]! ^ (1 << rng.int(8));
      break;
    case 1:
      out.splice(at, 1 + rng.int(16));
      break;
    case 2:
      out.splice(at, 0, ...out.slice(at, at + 1 + rng.int(64)));
      break;
    case 3:
      out.splice(at, 0, ...Array.from({ length: 1 + rng.int(8) }, () => rng.int(256)));
      break;
    case 4:
      return bytes.subarray(0, at); // cut short
    default: {
      // A token replaced with an edge value (text forms: numbers, names, fields).
      const s = td.decode(bytes);
      const tokens = [...s.matchAll(/[0-9a-zA-Z_:x/.-]+/g)];
      const t = tokens[rng.int(tokens.length)];
      if (t === undefined) break;
      const edge = EDGES[rng.int(EDGES.length)]!;
      return te.encode(s.slice(0, t.index) + edge + s.slice(t.index! + t[0].length));
    }
  }
  return new Uint8Array(out);
}

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  return await new Response(
    new Blob([bytes as BlobPart]).stream().pipeThrough(new CompressionStream("gzip")),
  ).bytes();
}

/** The fixture in every form, as bytes. */
async function forms(): Promise<Map<string, Uint8Array>> {
  const dir = await Deno.makeTempDir();
  try {
    const r = await readTraceBytes(await Deno.readFile(FIXTURE), { name: "f.vmt" });
    const events: Event[] = [];
    for await (const ev of r.events()) {
      delete ev.line;
      events.push(ev);
    }
    const out = new Map<string, Uint8Array>();
    for (const ext of ["vmt", "jsonl", "csv", "vmtb"]) {
      await writeTrace(`${dir}/t.${ext}`, r.header, events);
      const b = await Deno.readFile(`${dir}/t.${ext}`);
      out.set(ext, b);
      out.set(`${ext}.gz`, await gzip(b));
    }
    return out;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Pages the trace's accesses and populating maps may touch: the replay is skipped above 2^20. */
function touchBound(events: EventBatch[]): number {
  let pages = 0;
  for (const b of events) {
    for (let i = 0; i < b.length; i++) {
      const ev = b.get(i);
      if ("len" in ev && typeof ev.len === "number") pages += Math.ceil(ev.len / 4096);
      if ("newLen" in ev) pages += Math.ceil(ev.newLen / 4096);
    }
  }
  return pages;
}

/** Reads the bytes as `name`; returns the batches, or the TraceError. Anything else fails. */
async function read(
  bytes: Uint8Array,
  name: string,
): Promise<{ batches: EventBatch[]; mem: number } | TraceError> {
  try {
    const r = await readTraceBytes(bytes, { name, batchSize: 64, onWarning: () => {} });
    const batches: EventBatch[] = [];
    for await (const b of r.batches()) {
      const copy = new EventBatch(Math.max(1, b.length));
      for (let i = 0; i < b.length; i++) copy.push(b.get(i));
      batches.push(copy);
    }
    return { batches, mem: r.header.mem ?? 16 << 20 };
  } catch (e) {
    if (e instanceof TraceError) return e;
    throw new Error(`${name}: not a TraceError: ${(e as Error).stack}`);
  }
}

Deno.test("fuzz: mutated traces of every form are read or refused with a TraceError, and replay", async () => {
  const rng = new Rng(SEED);
  let refused = 0, replayed = 0;
  const all = await forms();
  for (const [ext, good] of all) {
    const gz = ext.endsWith(".gz");
    for (let k = 0; k < 30; k++) {
      const name = `case${k}.${ext}`;
      // Gzipped forms: mutate the compressed bytes, or the plain ones before compressing.
      let bytes = good;
      if (gz && k % 2 === 0) {
        bytes = await gzip(mutate(rng, all.get(ext.slice(0, -3))!, ext !== "vmtb.gz"));
      } else {
        for (let m = 1 + rng.int(3); m > 0; m--) {
          bytes = mutate(rng, bytes, !ext.startsWith("vmtb"));
        }
      }
      const r = await read(bytes, name);
      if (r instanceof TraceError) {
        refused++;
        ok(r.message.startsWith(name), r.message);
        // Forms with lines say which one, except for what concerns the whole file.
        if (!gz && ext !== "vmtb" && !/^case\d+\.\w+: (Missing header|Not a)/.test(r.message)) {
          ok(r.line > 0 || r.message.includes("Header"), r.message);
        }
        continue;
      }
      if (touchBound(r.batches) > 2 ** 20) continue;
      replayed++;
      const res = await replayStrategy(r.batches, {
        strategy: k % 2 === 0 ? "anon_vma_chain" : "scan",
        memPages: Math.max(16, Math.floor(r.mem / 4096)),
        swapPages: 1024,
        verify: true,
        check: true,
      });
      // The reference model cannot know what the machine had no memory for.
      const oom = res.diagnostics?.some((d) => d.message.includes("out of memory")) ?? false;
      if (!oom) {
        deepStrictEqual(res.counters.verify_errors, 0, `${name}: ${res.verify?.first_message}`);
      }
      deepStrictEqual(res.counters.check_errors ?? 0, 0, `${name}: ${res.check?.first_message}`);
    }
  }
  ok(refused > 50 && replayed > 5, `${refused} refused, ${replayed} replayed`);
});

Deno.test("fuzz: mutated strace and lackey input is imported or refused with an ImportError", async () => {
  const rng = new Rng(SEED + 1);
  const strace = await Deno.readFile(STRACE);
  const lackeyAll = await new Response(
    (await Deno.open(LACKEY)).readable.pipeThrough(new DecompressionStream("gzip")),
  ).bytes();
  const lackey = lackeyAll.subarray(0, lackeyAll.indexOf(10, 6000) + 1);
  let refused = 0;
  for (const [kind, good] of [["strace", strace], ["lackey", lackey]] as const) {
    for (let k = 0; k < 40; k++) {
      let bytes: Uint8Array = good;
      for (let m = 1 + rng.int(4); m > 0; m--) bytes = mutate(rng, bytes, true);
      const name = `case${k}.${kind}`;
      try {
        if (kind === "strace") {
          for await (const _ of importStrace(td.decode(bytes).split("\n"), { name })) { /* all */ }
        } else {
          for await (const _ of importLackey(bytes, { name })) { /* all */ }
        }
      } catch (e) {
        ok(e instanceof ImportError || e instanceof TraceError, `${name}: ${(e as Error).stack}`);
        ok((e as Error).message.startsWith(name), (e as Error).message);
        refused++;
      }
    }
  }
  ok(refused > 10, `${refused} refused`);
});

Deno.test("fuzz: hostile API requests get 2xx or 4xx answers, never 5xx", async () => {
  const rng = new Rng(SEED + 2);
  const dir = await Deno.makeTempDir();
  try {
    await using t = testApp({ uploadDir: dir, maxInflate: 1 << 20 });
    const id = t.seed();
    const all = await forms();
    const pick = <T>(xs: readonly T[]) => xs[rng.int(xs.length)]!;
    const num = () => pick([...EDGES, String(id), "%00", "1%20", "%E2%9C%93"]);
    for (let k = 0; k < 120; k++) {
      let req: Request;
      const kind = rng.int(4);
      if (kind === 0) {
        const path = pick([
          `/api/runs?limit=${num()}&offset=${num()}`,
          `/api/runs/${num()}`,
          `/api/runs/${num()}/export?format=${pick(["csv", "json", "xml", num()])}`,
          `/api/compare?a=${num()}&b=${num()}`,
          `/api/jobs/${num()}`,
          `/api/sweeps?offset=${num()}`,
          `/api/sweeps/${num()}`,
          `/runs/${num()}`,
          `/compare?a=${num()}&b=${num()}`,
          `/?page=${num()}`,
        ]);
        req = new Request(`http://127.0.0.1${path.replaceAll("\u0000", "%00")}`);
      } else if (kind === 1) {
        req = new Request(`http://127.0.0.1/api/runs/${num()}`, { method: "DELETE" });
      } else {
        // An upload: a mutated trace of some form under some name, with hostile fields.
        const [ext, good] = pick([...all.entries()]);
        const bytes = rng.int(3) === 0 ? good : mutate(rng, good, !ext.startsWith("vmtb"));
        const form = new FormData();
        form.append("trace", new File([bytes as BlobPart], pick([`u.${ext}`, "u.exe", ""])));
        if (rng.int(2)) form.append("mem", pick([num(), "64M", "1G"]));
        if (rng.int(2)) form.append("swap", pick([num(), "0", "1G"]));
        if (rng.int(3) === 0) form.append("strategies", pick(["scan", "nosuch", num()]));
        req = new Request(`http://127.0.0.1/api/runs?wait=1`, { method: "POST", body: form });
      }
      const res = await t.app.fetch(req);
      const body = await res.text();
      ok(res.status < 500, `${req.method} ${req.url}: ${res.status} ${body.slice(0, 300)}`);
    }
    deepStrictEqual([...Deno.readDirSync(dir)], []); // no upload left behind
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
