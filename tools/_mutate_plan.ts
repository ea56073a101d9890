/**
 * What `deno task mutate` mutates and which tests judge the mutants (`tools/mutate.ts`).
 *
 * A target is a source file or a folder (its `.ts` files, tests left out, not its subfolders).
 * The tests that exercise a file are, most specific first (`deno test --fail-fast` stops at the
 * first failure, so a mutant the nearest test kills costs little):
 *
 * 1. the tests beside it: `NAME_test.ts` and `NAME_*_test.ts` (`anon_vma_chain_test.ts`, which
 *    runs the suite every strategy passes, `anon_vma_chain_structure_test.ts`);
 * 2. the suites of its folder ({@linkcode FOLDER_SUITES}): for a strategy, the registry,
 *    teardown, fixture, strategy-comparison and counter-description tests; for the rest of `core/rmap/` (the base
 *    class, the registry, the sizes) and for the machine (`core/`, `core/mm/`, `core/sys/`), the
 *    machine's tests, every strategy's structural and rule tests, the checker's, the fixtures, and
 *    then every strategy's own file with the shared suite (random traces under pressure with the
 *    invariant checker, the reference model and the walk oracle).
 *
 * The two groups run as two `deno test` commands, the second only when the first passes: one
 * `deno test` loads every file it is given before it runs any, and runs them in an order of its
 * own (measured: a file's own `swap_test.ts`, named first, ran after 22 strategy files), so a
 * mutant the file's own tests kill would otherwise cost the whole suite (28 s instead of 0.5 s).
 *
 * @module
 */
import { strategyNames } from "../core/rmap/registry.ts";

/** Every strategy's tests, the shared suite included, after the quick structural ones. */
const ALL_STRATEGIES = [
  "core/rmap/*_structure_test.ts",
  "core/rmap/*_rules_test.ts",
  "core/rmap/teardown_test.ts",
  "core/rmap/registry_test.ts",
  "tests/fixtures_test.ts",
  "core/rmap/*_test.ts",
];

/** Suites run for every file under a folder, in order (after the file's own tests). */
export const FOLDER_SUITES: readonly {
  under: string;
  strategy?: boolean;
  tests: readonly string[];
}[] = [
  {
    under: "core/rmap/",
    strategy: true,
    tests: [
      "core/rmap/registry_test.ts",
      "core/rmap/teardown_test.ts",
      "tests/fixtures_test.ts",
      "tests/strategies_test.ts",
      // What each counter counts, as StrategyInfo.counters says and docs/counters.md prints.
      "tools/counters_doc_test.ts",
    ],
  },
  { under: "core/rmap/", tests: [...ALL_STRATEGIES, "tests/strategies_test.ts"] },
  {
    under: "core/",
    tests: [
      "core/machine_test.ts",
      "core/kernel_test.ts",
      "core/check_rmap_test.ts",
      ...ALL_STRATEGIES,
    ],
  },
];

/** One mutation run: the files to mutate and the shell command that tests a mutant. */
export interface MutationPlan {
  /** Files to mutate, relative to the project root. */
  files: string[];
  /** Test files, in the order they run. */
  tests: string[];
  /** The command Stryker's command runner runs in its sandbox for each mutant. */
  command: string;
}

/** A mistake in the targets or options; `mutate` reports it with exit 2 (or 1 for a file). */
export class PlanError extends Error {
  /** Makes a plan error whose message names the target. */
  constructor(message: string) {
    super(message);
    this.name = "PlanError";
  }
}

const isTest = (f: string) => f.endsWith("_test.ts");
/** Whether `file` is a strategy's module (`core/rmap/NAME.ts`, NAME registered). */
const isStrategy = (f: string) => {
  const name = /^core\/rmap\/([a-z_]+)\.ts$/.exec(f)?.[1];
  return name !== undefined && strategyNames().includes(name);
};

/** Files of the project under `dir` (relative, `/`-separated), non-recursive. */
function listTs(root: string, dir: string): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(dir === "" ? root : `${root}/${dir}`)) {
    if (e.isFile && e.name.endsWith(".ts")) out.push(dir === "" ? e.name : `${dir}/${e.name}`);
  }
  return out.sort();
}

/**
 * Expands a pattern with one `*` in its file name (`core/rmap/*_structure_test.ts`); private
 * files (`_cases_test.ts`, which registers no test of its own) are left out.
 */
function expand(root: string, pattern: string): string[] {
  if (!pattern.includes("*")) return [pattern];
  const dir = pattern.slice(0, pattern.lastIndexOf("/"));
  const [pre, post] = pattern.slice(dir.length + 1).split("*") as [string, string];
  return listTs(root, dir).filter((f) => {
    const name = f.slice(dir.length + 1);
    return name.startsWith(pre) && name.endsWith(post) && !name.startsWith("_") &&
      name.length >= pre.length + post.length;
  });
}

/** The files a target names: itself, or the sources of a folder. */
export function targetFiles(root: string, target: string): string[] {
  const t = target.replace(/^\.\//, "").replace(/\/+$/, "");
  let st: Deno.FileInfo;
  try {
    st = Deno.statSync(`${root}/${t}`);
  } catch {
    throw new PlanError(`${target}: no such file or folder in the project`);
  }
  if (st.isDirectory) {
    const files = listTs(root, t).filter((f) => !isTest(f));
    if (files.length === 0) throw new PlanError(`${target}: no source file to mutate`);
    return files;
  }
  if (!t.endsWith(".ts") || isTest(t)) {
    throw new PlanError(`${target}: expected a TypeScript source file (not a test) or a folder`);
  }
  return [t];
}

/** The tests beside `file`: `NAME_test.ts` and `NAME_*_test.ts` (see the module doc). */
function ownTests(root: string, file: string): string[] {
  const cut = file.lastIndexOf("/");
  const dir = cut < 0 ? "" : file.slice(0, cut);
  const base = file.slice(cut + 1, -3);
  const files = listTs(root, dir);
  // A test belongs to the source file with the longest name it starts with: anon_vma_chain_*
  // tests are anon_vma_chain's, not anon_vma's.
  const bases = files.filter((f) => !isTest(f)).map((f) => f.slice(cut + 1, -3));
  const owner = (name: string) =>
    bases.filter((b) => name.startsWith(`${b}_`)).sort((x, y) => y.length - x.length)[0];
  return files.filter((f) => isTest(f) && owner(f.slice(cut + 1)) === base);
}

/** The suites of `file`'s folder ({@linkcode FOLDER_SUITES}), expanded. */
function folderTests(root: string, file: string): string[] {
  const strategy = isStrategy(file);
  const suite = FOLDER_SUITES.find((s) =>
    file.startsWith(s.under) && (s.strategy === undefined || s.strategy === strategy)
  );
  return suite === undefined ? [] : suite.tests.flatMap((p) => expand(root, p));
}

/** The tests that exercise `file`, in the order they should run (see the module doc). */
export function testsFor(root: string, file: string): string[] {
  return [...new Set([...ownTests(root, file), ...folderTests(root, file)])]
    .filter((f) => f !== file);
}

/** Quotes `s` for a POSIX shell. */
function sh(s: string): string {
  return /^[\w./:=,-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}

/**
 * Plans a run over `targets`: the files, the tests (the union over the files, in order, unless
 * `tests` replaces them; `also` adds more), and the command, run with the Deno at `deno`.
 */
export function plan(
  root: string,
  targets: readonly string[],
  opts: { deno: string; tests?: readonly string[]; also?: readonly string[] },
): MutationPlan {
  if (targets.length === 0) throw new PlanError("Expected a FILE or FOLDER to mutate");
  const files = [...new Set(targets.flatMap((t) => targetFiles(root, t)))];
  // Two groups (see the module doc): the files' own tests, then the rest; --tests is one group.
  const first = opts.tests === undefined ? files.flatMap((f) => ownTests(root, f)) : [];
  const chosen = opts.tests ?? files.flatMap((f) => testsFor(root, f));
  const tests = [...new Set([...first, ...chosen, ...(opts.also ?? [])])];
  for (const t of tests) {
    try {
      Deno.statSync(`${root}/${t}`);
    } catch {
      throw new PlanError(`${t}: no such test file`);
    }
  }
  if (tests.length === 0) {
    throw new PlanError(
      `${targets.join(" ")}: no test found beside it; name the tests with --tests`,
    );
  }
  const run = (group: readonly string[]) =>
    [sh(opts.deno), "test", "--allow-all", "--no-check", "--fail-fast", ...group.map(sh)].join(" ");
  const firstSet = new Set(first);
  const rest = tests.filter((t) => !firstSet.has(t));
  const command = first.length === 0 || rest.length === 0
    ? run(tests)
    : `${run(tests.slice(0, firstSet.size))} && ${run(rest)}`;
  return { files, tests, command };
}
