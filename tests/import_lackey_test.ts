/**
 * `import lackey`: a real recorded trace (fixtures/lackey), area inference and `--maps`,
 * instruction and coalescing options, malformed lines, and round trips with `--verify`.
 */
import { deepStrictEqual, equal, match, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import type { Event } from "../trace/event.ts";
import { importLackey, type LackeyImportOptions } from "../trace/import/lackey/importer.ts";
import { parseProcMaps } from "../trace/import/lackey/proc_maps.ts";
import { fileChunks } from "../trace/_io.ts";
import type { ImportStats } from "../trace/import/import_stats.ts";
import { formatEvent } from "../trace/text/stringify.ts";
import { writeTrace } from "../trace/write.ts";
import { replayTrace } from "../analyze/replay.ts";

const DIR = new URL("../fixtures/lackey/", import.meta.url).pathname;
const MAIN = new URL("../main.ts", import.meta.url).pathname;
const TRACE = join(DIR, "touch.lackey.gz");

async function importAll(
  src: Uint8Array | AsyncIterable<Uint8Array>,
  opts: LackeyImportOptions = {},
): Promise<{ events: Event[]; stats: ImportStats }> {
  const events: Event[] = [];
  let stats: ImportStats | undefined;
  for await (
    const ev of importLackey(src, {
      name: "t.lackey",
      ...opts,
      stats: (s) => stats = s,
    })
  ) {
    events.push(ev);
  }
  return { events, stats: stats! };
}

const enc = (s: string) => new TextEncoder().encode(s);

Deno.test("import lackey: the recorded trace keeps every access, inferring areas around them", async () => {
  const { events, stats } = await importAll(fileChunks(TRACE));
  equal(stats.lines, 169393);
  equal(stats.touches, 169368);
  equal(stats.inferredAreas, 4);
  equal(stats.warnings, 0);
  deepStrictEqual([...new Set(events.map((e) => e.pid))], [26622]);
  const ops: Record<string, number> = {};
  for (const e of events) ops[e.op] = (ops[e.op] ?? 0) + 1;
  deepStrictEqual(ops, { mmap: 4, x: 117397, r: 32150, w: 19821, exit: 1 });
  // Inferred areas are 1 MiB blocks, rwx private anonymous, mapped before their first access.
  for (const e of events.filter((e) => e.op === "mmap")) {
    equal(formatEvent(e).replace(/^\d+ mmap 0x[0-9a-f]+ /, ""), "1M rwx private,anon");
  }
});

Deno.test("import lackey: --maps areas first, --no-instr and --coalesce shrink the trace", async () => {
  const areas = parseProcMaps(await Deno.readTextFile(join(DIR, "touch.maps")), "touch.maps");
  equal(areas.length, 20);
  const { events, stats } = await importAll(fileChunks(TRACE), {
    areas,
    instructions: false,
    coalesce: true,
  });
  equal(events.slice(0, 20).every((e) => e.op === "mmap"), true);
  ok(
    events.some((e) =>
      e.op === "mmap" && e.object === "file:/tmp/imp/fx/touch" && e.offset === 4096
    ),
  );
  equal(stats.inferredAreas, 0);
  ok(!events.some((e) => e.op === "x"));
  ok(
    stats.touches < 200 && stats.dropped > 169000,
    `${stats.touches} kept, ${stats.dropped} dropped`,
  );
  // The snapshot was taken after RELRO made 0x4a1000 read-only: startup's stores there get it back.
  equal(stats.warnings, 1);
  match(stats.warningList[0]!.message, /store at page 0x4a1000.*mprotect to rw- added/);
  ok(events.some((e) => e.op === "mprotect" && e.addr === 0x4a1000 && e.prot === 3));
});

for (
  const [label, opts] of [
    ["inferred areas", {}],
    ["--maps --no-instr --coalesce", { instructions: false, coalesce: true, maps: true }],
  ] as const
) {
  Deno.test(`import lackey (${label}) replays with zero verify errors, warnings and segv`, async () => {
    const dir = await Deno.makeTempDir();
    try {
      const areas = "maps" in opts
        ? parseProcMaps(await Deno.readTextFile(join(DIR, "touch.maps")), "touch.maps")
        : [];
      const { events } = await importAll(fileChunks(TRACE), { ...opts, areas });
      const out = join(dir, "t.vmtb");
      await writeTrace(out, { version: 1 }, events);
      const run = await replayTrace({ trace: out, strategies: ["anon_vma_chain"], verify: true });
      const c = run.results.anon_vma_chain!.counters;
      deepStrictEqual([c.verify_errors, c.warnings, c.segv], [0, 0, 0]);
      ok(c.minor_faults > 16, `${c.minor_faults} faults`); // at least the 64 KiB heap buffer
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("import lackey: M is one write, accesses across a page boundary map both pages", async () => {
  const { events } = await importAll(enc("==9== x\n M 10ffc,8\n L 1fffff,2\n S 300000,0\n"), {
    areaSize: 4096,
  });
  deepStrictEqual(events.map(formatEvent), [
    "9 mmap 0x10000 4K rwx private,anon",
    "9 mmap 0x11000 4K rwx private,anon",
    "9 w 0x10ffc 8",
    "9 mmap 0x1ff000 4K rwx private,anon",
    "9 mmap 0x200000 4K rwx private,anon",
    "9 r 0x1fffff 2",
    "9 mmap 0x300000 4K rwx private,anon",
    "9 w 0x300000",
    "9 exit",
  ]);
});

Deno.test("import lackey: inferred blocks stop at the areas of the maps snapshot", async () => {
  const areas = parseProcMaps("00402000-00404000 r-xp 00000000 08:01 5 /bin/x\n", "maps");
  const { events } = await importAll(enc(" L 400100,4\nI  402000,4\n L 404010,4\n"), { areas });
  deepStrictEqual(events.map(formatEvent), [
    "1 mmap 0x402000 8K r-x private file:/bin/x 0",
    "1 mmap 0x400000 8K rwx private,anon",
    "1 r 0x400100 4",
    "1 x 0x402000 4",
    "1 mmap 0x404000 1008K rwx private,anon",
    "1 r 0x404010 4",
    "1 exit",
  ]);
});

Deno.test("import lackey: coalescing keeps a store after loads of the same page, drops repeats", async () => {
  const { events, stats } = await importAll(
    enc(" L 1000,4\n L 1008,4\n S 1010,4\n L 1018,4\n S 1020,4\nI  1030,2\n"),
    { coalesce: true },
  );
  deepStrictEqual(events.map((e) => e.op), ["mmap", "r", "w", "exit"]);
  equal(stats.dropped, 4);
});

Deno.test("import lackey: lines split across chunks, CRLF, program output and a second PID", async () => {
  const chunks = [
    enc("==5== Lackey\r\n L 10"),
    enc("00,4\r\nprogram output\n"),
    enc("==6== other\n S 2000,8"),
  ];
  async function* src() {
    yield* chunks;
  }
  const { events, stats } = await importAll(src());
  deepStrictEqual(events.map(formatEvent), [
    "5 mmap 0x0 1M rwx private,anon",
    "5 r 0x1000 4",
    "5 w 0x2000 8",
    "5 exit",
  ]);
  equal(stats.warnings, 2);
  match(stats.warningList[0]!.message, /not a lackey line; skipped: 'program output'/);
  match(stats.warningList[1]!.message, /a second process \(PID 6\)/);
});

Deno.test("import lackey: --trace-syscalls lines give the client's own mappings", async () => {
  const log = [
    "==7== Lackey",
    "SYSCALL[7,1](12) sys_brk ( 0x0 ) --> [pre-success] Success(0x4000000) ",
    "SYSCALL[7,1](12) sys_brk ( 0x4021000 ) --> [pre-success] Success(0x4021000) ",
    "SYSCALL[7,1](9) sys_mmap ( 0x0, 8192, 3, 34, 4294967295, 0 ) --> [pre-success] Success(0x4835000) ",
    "SYSCALL[7,1](9) sys_mmap ( 0x0, 4096, 1, 2, 4, 4096 ) --> [pre-success] Success(0x4837000) ",
    " S 4835010,8",
    "SYSCALL[7,1](25) sys_mremap ( 0x4835000, 8192, 16384, 0x1 ) --> [pre-success] Success(0x5000000) ",
    "SYSCALL[7,1](10) sys_mprotect ( 0x5000000, 4096, 1 )[sync] --> Success(0x0) ",
    " L 5000010,8",
    "SYSCALL[7,1](28) sys_madvise ( 0x5000000, 8192, 4 ) --> [async] ... ",
    " --> [async-done] Success(0x0) ",
    "SYSCALL[7,1](11) sys_munmap ( 0x4837000, 4096 )[sync] --> Success(0x0) ",
    "",
  ].join("\n");
  const { events, stats } = await importAll(enc(log));
  deepStrictEqual(events.map(formatEvent), [
    "7 mmap 0x4000000 132K rw- private,anon",
    "7 mmap 0x4835000 8K rw- private,anon",
    "7 mmap 0x4837000 4K r-- private file:unknown/pid7.fd4 4K",
    "7 w 0x4835010 8",
    "7 mremap 0x4835000 8K 0x5000000 16K",
    "7 mprotect 0x5000000 4K r--",
    "7 r 0x5000010 8",
    "7 munmap 0x4837000 4K",
    "7 exit",
  ]);
  equal(stats.warnings, 0);
  deepStrictEqual(stats.ignored, { "late syscall results": 1 });
});

Deno.test("import lackey: malformed access lines stop with FILE:LINE: message", async () => {
  await rejects(
    importAll(enc(" L 1000,4\n L 10z0,4\n")),
    /^ImportError: t\.lackey:2: expected a hex address and ',', found ' L 10z0,4'/,
  );
  await rejects(
    importAll(enc("I  1000,\n")),
    /t\.lackey:1: expected a decimal size after ',', found 'I {2}1000,'/,
  );
  await rejects(importAll(enc(" S 1000,4 x\n")), /t\.lackey:1: expected a decimal size/);
});

Deno.test("import lackey: binary data, an empty file, text that is not lackey's and endless lines are refused", async () => {
  const garbage = new Uint8Array(100000);
  for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 2654435761) >>> 24;
  await rejects(importAll(garbage), /^ImportError: t\.lackey:1: binary data, not Valgrind lackey/);
  await rejects(
    importAll(enc("")),
    /^ImportError: t\.lackey: no Valgrind lackey output in 0 lines/,
  );
  await rejects(
    importAll(enc("hello\nworld\n")),
    /t\.lackey: no Valgrind lackey output in 2 lines/,
  );
  await rejects(
    importAll(enc(" L 1000,4\n" + "x".repeat(3 << 20))),
    /t\.lackey:2: line longer than 1048576 bytes/,
  );
  // Program output between lackey lines, binary or not, stays a warning.
  const { stats } = await importAll(enc(" L 1000,4\n\u0001\u0002\n L 1000,4\n"));
  equal(stats.warnings, 1);
});

Deno.test("import lackey: a log cut short in its last line is imported with a warning", async () => {
  const { events, stats } = await importAll(enc(" L 1000,4\n S 2000,8\nI  30"));
  deepStrictEqual(events.map((e) => e.op), ["mmap", "r", "w", "exit"]);
  equal(stats.warnings, 1);
  match(stats.warningList[0]!.message, /last line is incomplete/);
});

Deno.test("parseProcMaps() reads files, anonymous areas, the stack and System V segments", () => {
  const areas = parseProcMaps(
    [
      "55d0c0a00000-55d0c0a02000 r--p 00001000 fe:00 12 /usr/bin/my prog",
      "7f0000000000-7f0000010000 rw-s 00000000 00:01 32790 /SYSV00000000 (deleted)",
      "7f0000010000-7f0000020000 rw-s 00000000 00:01 9 /dev/shm/ring",
      "7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0 [stack]",
      "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0 [vsyscall]",
    ].join("\n"),
    "maps",
  );
  deepStrictEqual(
    areas.map((a) => [a.start.toString(16), a.end - a.start, a.prot, a.flags, a.object, a.pgoff]),
    [
      ["55d0c0a00", 2, 1, 1, "file:/usr/bin/my%20prog", 1],
      ["7f0000000", 16, 3, 2, "shm:32790", 0],
      ["7f0000010", 16, 3, 2, "tmpfs:/dev/shm/ring", 0],
      ["7ffd00000", 33, 3, 1 | 4 | 32, undefined, 0],
    ],
  );
  let err: Error | undefined;
  try {
    parseProcMaps("00400000-00401000 r-xp\n", "m.txt");
  } catch (e) {
    err = e as Error;
  }
  match(err?.message ?? "", /^m\.txt:1: expected a \/proc\/PID\/maps line/);
});

Deno.test("vmreplay import lackey: CLI with --maps, .gz input and .vmtb output", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = join(dir, "t.vmtb");
    const cmd = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        MAIN,
        "import",
        "lackey",
        TRACE,
        "-o",
        out,
        "--maps",
        join(DIR, "touch.maps"),
        "--no-instr",
      ],
      stdout: "piped",
      stderr: "piped",
    });
    const r = await cmd.output();
    equal(r.code, 0, new TextDecoder().decode(r.stderr));
    match(
      new TextDecoder().decode(r.stdout),
      /169393 lines, .* 51971 accesses kept, 117397 dropped, 0 areas inferred; 1 warning \(/,
    );
    ok((await Deno.stat(out)).size > 0);
    const bad = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, "import", "lackey", TRACE, "-o", out, "--touch", "all"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    equal(bad.code, 2);
    match(new TextDecoder().decode(bad.stderr), /--touch applies to 'import strace' only/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
