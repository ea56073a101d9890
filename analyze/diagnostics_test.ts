import { deepStrictEqual } from "node:assert/strict";
import { DiagnosticLog, formatDiagnostics, MAX_DIAGNOSTICS } from "./diagnostics.ts";
import { replayStrategy } from "./replay_strategy.ts";
import type { RunDiagnostic, RunResult, StrategyResult } from "./result.ts";
import { TraceBuilder } from "../trace/builder.ts";

function strategy(diagnostics: RunDiagnostic[], segv: number, warnings: number): StrategyResult {
  return { counters: { segv, warnings }, diagnostics } as unknown as StrategyResult;
}

const segv = (line: number, message = "r 0x90000: no mapping"): RunDiagnostic => ({
  kind: "segv",
  line,
  message,
});

Deno.test("DiagnosticLog keeps the first max diagnostics, copied", () => {
  const log = new DiagnosticLog(3);
  const d = segv(1);
  for (let line = 1; line <= 5; line++) {
    d.line = line;
    log.add(d);
  }
  deepStrictEqual(log.list.map((x) => x.line), [1, 2, 3]);
});

Deno.test("replayStrategy() keeps segv and warnings with their lines, the first 20", async () => {
  const t = new TraceBuilder().mmap(1, 0x10000, "16K", "rw-", "private,anon").w(1, 0x10000)
    .r(1, 0x90000).munmap(1, 0x200000, 4096);
  for (let i = 0; i < 30; i++) t.r(1, 0x400000 + i * 4096);
  const r = await replayStrategy([t.batch()], { strategy: "anonmm", memPages: 64, swapPages: 0 });
  deepStrictEqual(r.counters.segv, 31);
  deepStrictEqual(r.counters.warnings, 1);
  const d = r.diagnostics!;
  deepStrictEqual(d.length, MAX_DIAGNOSTICS);
  deepStrictEqual(d[0], { kind: "segv", line: 3, message: "pid 1: r 0x90000: no mapping" });
  deepStrictEqual(d[1]!.kind, "warning");
  deepStrictEqual(d[1]!.line, 4);
  deepStrictEqual(d.map((x) => x.line), Array.from({ length: 20 }, (_, i) => i + 3));
});

Deno.test("replayStrategy() of a trace without problems has no diagnostics field", async () => {
  const t = new TraceBuilder().mmap(1, 0x10000, "16K", "rw-", "private,anon").w(1, 0x10000);
  const r = await replayStrategy([t.batch()], { strategy: "anonmm", memPages: 64, swapPages: 0 });
  deepStrictEqual("diagnostics" in r, false);
});

Deno.test("formatDiagnostics() groups what all strategies met and names the others", () => {
  const run = {
    trace: "t.vmt",
    results: {
      a: strategy([segv(4), { kind: "warning", line: 9, message: "oom" }], 1, 1),
      b: strategy([segv(4), { kind: "warning", line: 7, message: "oom" }], 1, 1),
      c: strategy([segv(4)], 1, 0),
    },
  } as unknown as RunResult;
  deepStrictEqual(formatDiagnostics(run), [
    "t.vmt:4: all strategies: segv: r 0x90000: no mapping",
    "t.vmt:7: b: warning: oom",
    "t.vmt:9: a: warning: oom",
  ]);
});

Deno.test("formatDiagnostics() gives the totals when more happened than were kept", () => {
  const kept = [segv(1), segv(2)];
  const one = { trace: "t.vmt", results: { a: strategy(kept, 40, 1) } } as unknown as RunResult;
  deepStrictEqual(formatDiagnostics(one), [
    "t.vmt:1: a: segv: r 0x90000: no mapping",
    "t.vmt:2: a: segv: r 0x90000: no mapping",
    "t.vmt: a: 40 segv, 1 warning in all; the first 2 shown",
  ]);
  const two = {
    trace: "t.vmt",
    results: { a: strategy(kept, 40, 2), b: strategy(kept, 40, 2), c: strategy(kept, 41, 2) },
  } as unknown as RunResult;
  deepStrictEqual(formatDiagnostics(two).slice(2), [
    "t.vmt: a,b: 40 segv, 2 warnings in all; the first 2 shown",
    "t.vmt: c: 41 segv, 2 warnings in all; the first 2 shown",
  ]);
  const clean = { trace: "t.vmt", results: { a: strategy([], 0, 0) } } as unknown as RunResult;
  deepStrictEqual(formatDiagnostics(clean), []);
});
