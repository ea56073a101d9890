/**
 * `calibrate`: the kernel's results format, the comparison, the scenario list, the compiler
 * search, and a full run on this machine (every phase must agree with the kernel).
 */
import { deepStrictEqual, equal, match, ok, rejects, throws } from "node:assert/strict";
import { comparePhases } from "../analyze/calibrate/compare.ts";
import {
  CalibrateError,
  findCompiler,
  parseKernelResults,
  PROBES_DIR,
} from "../analyze/calibrate/kernel.ts";
import { calibrate } from "../analyze/calibrate/run.ts";
import { SCENARIOS } from "../analyze/calibrate/scenarios.ts";
import type { PhaseResult } from "../analyze/result.ts";
import { needs } from "./_tools.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const onLinuxX64 = Deno.build.os === "linux" && Deno.build.arch === "x86_64";

function phase(label: string, minor: number, major = 0): PhaseResult {
  return {
    label,
    counters: { minor_faults: minor, major_faults: major } as PhaseResult["counters"],
  };
}

Deno.test("parseKernelResults() reads LABEL PID MINFLT MAJFLT lines and rejects others", () => {
  deepStrictEqual(parseKernelResults("a 10 64 0\n\nchild-write 11 16 1\n", "r"), [
    { label: "a", pid: 10, minor: 64, major: 0 },
    { label: "child-write", pid: 11, minor: 16, major: 1 },
  ]);
  throws(
    () => parseKernelResults("a 10 64\n", "x.results"),
    /^CalibrateError: x\.results:1: expected 'LABEL PID MINFLT MAJFLT', found 'a 10 64'/,
  );
});

Deno.test("comparePhases() pairs phases by label, ignoring idle phases", () => {
  const rows = comparePhases(
    [
      { label: "read", pid: 1, minor: 64, major: 0 },
      { label: "write", pid: 2, minor: 32, major: 0 },
      { label: "gone", pid: 2, minor: 1, major: 0 },
    ],
    [phase("start", 5), phase("read", 64), phase("idle:read", 9), phase("write", 31)],
  );
  deepStrictEqual(rows.map((r) => [r.label, r.pid, r.kernelMinor, r.simMinor, r.ok]), [
    ["read", 1, 64, 64, true],
    ["write", 2, 32, 31, false],
    ["gone", 2, 1, -1, false],
  ]);
});

Deno.test("SCENARIOS names exactly the probe sources shipped in analyze/calibrate/probes", () => {
  const files = [...Deno.readDirSync(PROBES_DIR)].map((e) => e.name).filter((n) =>
    n.endsWith(".c")
  );
  deepStrictEqual(files.map((f) => f.slice(0, -2)).sort(), SCENARIOS.map((s) => s.name).sort());
  ok(Deno.statSync(new URL("probe.h", PROBES_DIR)).isFile);
});

Deno.test("findCompiler() explains how to install a compiler when the one asked for does not run", async () => {
  await rejects(
    findCompiler("/nonexistent/cc"),
    (e: Error) => e instanceof CalibrateError && /apt-get install gcc/.test(e.message),
  );
});

Deno.test(needs(["gcc"], {
  name: "calibrate() on this machine: every phase of every scenario agrees with the kernel",
  ignore: !onLinuxX64,
  fn: async () => {
    const results = await calibrate();
    equal(results.length, SCENARIOS.length);
    const bad = results.flatMap((r) =>
      r.rows.filter((x) => !x.ok).map((x) =>
        `${r.scenario.name}/${x.label}: kernel ${x.kernelMinor}+${x.kernelMajor}, simulator ${x.simMinor}+${x.simMajor}`
      )
    );
    deepStrictEqual(bad, []);
    for (const r of results) {
      equal(r.verifyErrors, 0, r.scenario.name);
      ok(r.rows.length >= 2, `${r.scenario.name} has phases`);
    }
    // The probes measured what docs/machine.md says Linux does (a few spot checks of the kernel side).
    const k = (s: string, l: string) =>
      results.find((r) => r.scenario.name === s)!.rows.find((x) => x.label === l)!.kernelMinor;
    // A kernel booted without the zero page (pvm_no_zero_page) allocates a page on the read fault,
    // so the write after it does not fault; the probes detect it and say zero_page=0.
    const zeroPage = results.find((r) => r.scenario.name === "zero_page")!.machine.zero_page;
    equal(k("zero_page", "read-untouched"), 64);
    equal(k("zero_page", "write-after-read"), zeroPage ? 64 : 0);
    equal(k("fork_cow", "child-read"), 0);
    equal(k("mremap_move", "move-then-touch"), 0);
    equal(k("mprotect_roundtrip", "readwrite-write"), zeroPage ? 32 : 0);
    equal(k("populate", "mmap-populate"), 32);
    equal(k("tmpfs_file", "shared-read"), 4);
    equal(k("tmpfs_file", "shared-write"), 0);
  },
}));

Deno.test(needs(["gcc"], {
  name:
    "vmreplay calibrate: --list, unknown scenario (exit 2), missing compiler (exit 1), one scenario --json",
  ignore: !onLinuxX64,
  fn: async () => {
    const run = async (...args: string[]) => {
      const r = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", MAIN, "calibrate", ...args],
        stdout: "piped",
        stderr: "piped",
      }).output();
      return {
        code: r.code,
        out: new TextDecoder().decode(r.stdout),
        err: new TextDecoder().decode(r.stderr),
      };
    };
    const list = await run("--list");
    equal(list.code, 0);
    match(list.out, /^zero_page\s+read of untouched/m);
    const unknown = await run("--scenario", "nope");
    equal(unknown.code, 2);
    match(unknown.err, /unknown scenario 'nope'/);
    const nocc = await run("--cc", "/nonexistent/cc", "--scenario", "zero_page");
    equal(nocc.code, 1);
    match(nocc.err, /needs a C compiler.*apt-get install gcc/s);
    const one = await run("--scenario", "dontneed", "--json");
    equal(one.code, 0, one.err);
    const json = JSON.parse(one.out);
    equal(json[0].scenario, "dontneed");
    deepStrictEqual(json[0].phases.map((p: { phase: string }) => p.phase), [
      "write",
      "dontneed-read",
      "write-again",
    ]);
    deepStrictEqual(json[0].phases[1].kernel, { minor_faults: 32, major_faults: 0 });
    deepStrictEqual(json[0].phases[1].simulator, { minor_faults: 32, major_faults: 0 });
  },
}));
