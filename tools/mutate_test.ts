/**
 * `deno task mutate`: which tests judge the mutants of a file, the command Stryker runs, the
 * score lines, and the command line's errors (the Stryker run itself is documented in
 * docs/testing.md: minutes per file, too long for the suite).
 */
import { deepStrictEqual, equal, match, ok, throws } from "node:assert/strict";
import { exec } from "node:child_process";
import { plan, PlanError, testsFor } from "./_mutate_plan.ts";
import { keepFailures, scoreLine, scoreLines } from "./mutate.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const MUTATE = new URL("./mutate.ts", import.meta.url).pathname;

Deno.test("mutate: a strategy is judged by its own tests (the shared suite's among them), then its folder's", () => {
  const p = plan(ROOT, ["core/rmap/anon_vma_chain.ts"], { deno: "deno" });
  deepStrictEqual(p.files, ["core/rmap/anon_vma_chain.ts"]);
  deepStrictEqual(p.tests.slice(0, 3), [
    "core/rmap/anon_vma_chain_rules_test.ts",
    "core/rmap/anon_vma_chain_structure_test.ts",
    "core/rmap/anon_vma_chain_test.ts",
  ]);
  for (const t of ["core/rmap/registry_test.ts", "tests/fixtures_test.ts"]) {
    ok(p.tests.includes(t), t);
  }
  ok(!p.tests.includes("core/rmap/anon_vma_test.ts"), "another strategy's tests");
  match(
    p.command,
    /^deno test --allow-all --no-check --fail-fast core\/rmap\/anon_vma_chain_rules_test\.ts /,
  );
});

Deno.test("mutate: the machine's files and the strategies' base get every strategy's tests; folders their sources", () => {
  for (const file of ["core/mm/fault.ts", "core/check.ts", "core/rmap/base.ts"]) {
    const tests = testsFor(ROOT, file);
    ok(tests.includes("core/rmap/anon_vma_structure_test.ts"), file);
    ok(tests.includes("core/rmap/scan_test.ts"), file);
    ok(
      !tests.includes("core/rmap/_cases_test.ts"),
      `${file}: the suite's module runs through each strategy`,
    );
    // The quick structural tests before the random-trace suites.
    ok(
      tests.indexOf("core/rmap/pte_chain_structure_test.ts") <
        tests.indexOf("core/rmap/anon_inode_test.ts"),
      file,
    );
  }
  equal(testsFor(ROOT, "core/check.ts")[0], "core/check_rmap_test.ts");
  const folder = plan(ROOT, ["core/rmap/"], { deno: "deno" });
  ok(folder.files.includes("core/rmap/registry.ts"));
  ok(folder.files.every((f) => !f.endsWith("_test.ts")));
  const trace = plan(ROOT, ["trace/syntax.ts"], { deno: "deno", also: ["trace/read_test.ts"] });
  deepStrictEqual(trace.tests, ["trace/syntax_test.ts", "trace/read_test.ts"]);
  // The file's own tests first, as a command of their own; the rest only when they pass.
  equal(
    trace.command,
    "deno test --allow-all --no-check --fail-fast trace/syntax_test.ts && " +
      "deno test --allow-all --no-check --fail-fast trace/read_test.ts",
  );
  const swap = plan(ROOT, ["core/mm/swap.ts"], { deno: "deno" });
  const [own, rest, more] = swap.command.split(" && ");
  equal(own, "deno test --allow-all --no-check --fail-fast core/mm/swap_test.ts");
  ok(rest!.includes(" core/machine_test.ts ") && rest!.includes(" core/rmap/scan_test.ts"), rest);
  ok(!rest!.includes("swap_test.ts") && more === undefined, swap.command);
  // No test of its own: one command; --tests: one command, in the order given.
  ok(!plan(ROOT, ["core/mm/zap.ts"], { deno: "deno" }).command.includes("&&"));
  equal(
    plan(ROOT, ["core/mm/swap.ts"], { deno: "deno", tests: ["core/mm/swap_test.ts"] }).command,
    "deno test --allow-all --no-check --fail-fast core/mm/swap_test.ts",
  );
});

Deno.test("mutate: bad targets and tests are named", () => {
  throws(() => plan(ROOT, [], { deno: "deno" }), PlanError);
  throws(
    () => plan(ROOT, ["core/nothere.ts"], { deno: "deno" }),
    /core\/nothere\.ts: no such file/,
  );
  throws(() => plan(ROOT, ["core/machine_test.ts"], { deno: "deno" }), /not a test/);
  throws(
    () => plan(ROOT, ["core/machine.ts"], { deno: "deno", tests: ["core/x_test.ts"] }),
    /core\/x_test\.ts: no such test file/,
  );
  throws(() => plan(ROOT, ["main.ts"], { deno: "deno" }), /no test found beside it/);
});

Deno.test("mutate: score lines count timeouts as killed and leave errors out", () => {
  const m = (status: string, n: number) => Array.from({ length: n }, () => ({ status }));
  equal(
    scoreLine("core/rmap", [
      ...m("Killed", 180),
      ...m("Timeout", 2),
      ...m("Survived", 18),
      ...m("CompileError", 5),
    ]),
    "core/rmap: 91% of 200 mutants killed (18 survived)",
  );
  deepStrictEqual(
    scoreLines({
      files: {
        "core/a.ts": { mutants: m("Killed", 3) },
        "core/b.ts": { mutants: m("NoCoverage", 1) },
      },
    }),
    [
      "core: 75% of 4 mutants killed (1 survived)",
      "  core/a.ts: 100% of 3 mutants killed",
      "  core/b.ts: 0% of 1 mutants killed (1 survived)",
    ],
  );
});

Deno.test("mutate: --help, --dry-run and usage errors", async () => {
  const run = async (...args: string[]) => {
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MUTATE, ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const d = new TextDecoder();
    return { code: r.code, out: d.decode(r.stdout), err: d.decode(r.stderr) };
  };
  const help = await run("--help");
  equal(help.code, 0);
  match(help.out, /^Usage: deno task mutate/);
  const dry = await run("--dry-run", "core/rmap/anon_vma.ts");
  equal(dry.code, 0, dry.err);
  match(
    dry.out,
    /^mutate: core\/rmap\/anon_vma\.ts\ntests: {2}core\/rmap\/anon_vma_rules_test\.ts /,
  );
  const bad = await run("core/nothere.ts");
  deepStrictEqual([bad.code, bad.err.trim()], [
    2,
    "mutate: core/nothere.ts: no such file or folder in the project",
  ]);
  const conc = await run("--concurrency", "0", "core/machine.ts");
  equal(conc.code, 2);
  match(conc.err, /--concurrency: expected a positive integer, found '0'/);
});

Deno.test("mutate: the output of a run that kills a mutant is kept under its id", async () => {
  const dir = await Deno.makeTempDir({ prefix: "vmreplay-mutate-" });
  try {
    const sh = (command: string) =>
      new Deno.Command("sh", {
        args: ["-c", keepFailures(command, `${dir}/it's`)],
        env: { __STRYKER_ACTIVE_MUTANT__: "42" },
      }).outputSync().code;
    equal(sh("echo fine"), 0);
    equal(sh("echo broken; sh -c 'exit 3'"), 3);
    deepStrictEqual([...Deno.readDirSync(`${dir}/it's`)].map((e) => e.name), ["42.log"]);
    equal(Deno.readTextFileSync(`${dir}/it's/42.log`), "broken\n");
    // As Stryker runs it (node:child_process), with two Deno commands as a plan makes them.
    const deno = Deno.execPath();
    const code = await new Promise<number | null>((done) => {
      const child = exec(keepFailures(`${deno} --version && ${deno} eval 'Deno.exit(5)'`, dir));
      child.on("exit", done);
    });
    equal(code, 5);
    deepStrictEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["baseline.log", "it's"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
