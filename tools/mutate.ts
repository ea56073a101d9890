/**
 * `deno task mutate FILE|FOLDER...`: mutation testing with StrykerJS (`@stryker-mutator/core`,
 * pinned in `deno.json`), its command runner driving `deno test` on the tests that exercise the
 * files (`tests/_mutate_plan.ts`). Stryker copies the project into `.stryker-tmp/` (node_modules
 * linked), puts every mutant into the files at once and switches them on one at a time; a mutant
 * is killed when the command fails. Afterwards the score of each folder and file is printed as
 * `core/rmap: 91% of 412 mutants killed`; the report is `reports/mutation/index.html` (and
 * `mutation.json`), and the output of the test run that killed each mutant is kept in
 * `reports/mutation/killed/ID.log`. See docs/testing.md.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { plan, PlanError } from "./_mutate_plan.ts";

const HELP = `Usage: deno task mutate [OPTIONS] FILE|FOLDER...

Mutation testing of the named source files (a folder: its .ts files, tests left out) with
StrykerJS. Each mutant is tested by 'deno test --fail-fast' on the tests that exercise the file:
the tests beside it (NAME_test.ts, NAME_*_test.ts) and its folder's suites (for the machine,
every strategy's tests). Prints the score of each folder and file; the report goes to
reports/mutation/index.html and reports/mutation/mutation.json, and the output of the test run
that killed each mutant to reports/mutation/killed/ID.log.

Options:
  --tests A,B       test files to run instead of the chosen ones
  --also A,B        test files to run as well
  --concurrency N   mutants tested at once (default 2)
  --dry-run         print the files, tests and command, and run nothing
  -h, --help        this text

Examples:
  deno task mutate core/rmap/anon_vma_chain.ts
  deno task mutate core/rmap
  deno task mutate --dry-run core/mm/fault.ts`;

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const REPORT_DIR = "reports/mutation";
/** Where the output of the test run that killed each mutant is kept (`MUTANT_ID.log`). */
const KILLED_DIR = `${REPORT_DIR}/killed`;

/**
 * `command` for Stryker's command runner, keeping the output of a failing run (the mutant's
 * kill) as `dir/ID.log`, ID the mutant's id in the JSON report; a passing run leaves nothing. A
 * run Stryker stops for taking too long leaves `dir/.running-PID.log`. The command is grouped in
 * braces, not a subshell: Deno's `node:child_process`, through which Stryker runs it, rewrites
 * Deno invocations in a command line and breaks `( deno ... && deno ... )` (measured with Deno
 * 2.9.6: the shell then reads `then` before the `)`).
 */
export function keepFailures(command: string, dir: string): string {
  const q = `'${dir.replaceAll("'", `'\\''`)}'`;
  return `mkdir -p ${q} && out=${q}/.running-$$.log && if { ${command}; } >"$out" 2>&1; ` +
    `then rm -f "$out"; else s=$?; mv "$out" ${q}/"\${__STRYKER_ACTIVE_MUTANT__:-baseline}.log"; ` +
    `exit $s; fi`;
}

/** Stryker's version, as pinned in deno.json's imports. */
function strykerSpecifier(): string {
  const cfg = JSON.parse(Deno.readTextFileSync(`${ROOT}/deno.json`)) as {
    imports: Record<string, string>;
  };
  const spec = cfg.imports["@stryker-mutator/core"];
  if (spec === undefined) throw new Error("deno.json: no import of @stryker-mutator/core");
  return `${spec}/stryker`;
}

interface MutantJson {
  status: string;
}
interface ReportJson {
  files: Record<string, { mutants: MutantJson[] }>;
}

/** `NAME: N% of M mutants killed`, counting timeouts as killed (Stryker's mutation score). */
export function scoreLine(name: string, mutants: readonly MutantJson[]): string {
  const n = (s: string) => mutants.filter((m) => m.status === s).length;
  const detected = n("Killed") + n("Timeout");
  const valid = detected + n("Survived") + n("NoCoverage");
  const pct = valid === 0 ? 100 : Math.floor((1000 * detected) / valid) / 10;
  const extra = n("Survived") + n("NoCoverage") > 0
    ? ` (${n("Survived") + n("NoCoverage")} survived)`
    : "";
  return `${name}: ${pct}% of ${valid} mutants killed${extra}`;
}

/** Score lines per folder, then per file, of a Stryker JSON report. */
export function scoreLines(report: ReportJson): string[] {
  const byFolder = new Map<string, MutantJson[]>();
  const files = Object.keys(report.files).sort();
  for (const f of files) {
    const dir = f.includes("/") ? f.slice(0, f.lastIndexOf("/")) : ".";
    byFolder.set(dir, [...(byFolder.get(dir) ?? []), ...report.files[f]!.mutants]);
  }
  return [
    ...[...byFolder].map(([d, ms]) => scoreLine(d, ms)),
    ...files.map((f) => "  " + scoreLine(f, report.files[f]!.mutants)),
  ];
}

async function main(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        tests: { type: "string" },
        also: { type: "string" },
        concurrency: { type: "string" },
        "dry-run": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    console.error(`mutate: ${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  const o = parsed.values;
  if (o.help) {
    console.log(HELP);
    return 0;
  }
  const list = (s: string | undefined) =>
    s === undefined ? undefined : s.split(",").map((x) => x.trim()).filter((x) => x !== "");
  const concurrency = Number(o.concurrency ?? 2);
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    console.error(`mutate: --concurrency: expected a positive integer, found '${o.concurrency}'`);
    return 2;
  }
  let p;
  try {
    p = plan(ROOT, parsed.positionals, {
      deno: Deno.execPath(),
      tests: list(o.tests),
      also: list(o.also),
    });
  } catch (e) {
    if (!(e instanceof PlanError)) throw e;
    console.error(`mutate: ${e.message}${parsed.positionals.length === 0 ? `\n\n${HELP}` : ""}`);
    return 2;
  }
  console.log(`mutate: ${p.files.join(" ")}`);
  console.log(`tests:  ${p.tests.join(" ")}`);
  console.log(`command: ${p.command}`);
  if (o["dry-run"]) return 0;

  const config = {
    $schema:
      "https://raw.githubusercontent.com/stryker-mutator/stryker/master/packages/api/schema/stryker-core.json",
    testRunner: "command",
    commandRunner: { command: keepFailures(p.command, `${ROOT}/${KILLED_DIR}`) },
    coverageAnalysis: "off",
    // Generous: on a shared machine a run can take twice as long as the first (baseline) one,
    // and a mutant that times out counts as killed.
    timeoutFactor: 3,
    timeoutMS: 30_000,
    mutate: p.files,
    concurrency,
    tempDirName: ".stryker-tmp",
    cleanTempDir: true,
    ignorePatterns: [".vmreplay", "reports", "bench/out", "docs/screenshots"],
    reporters: ["clear-text", "progress", "html", "json"],
    htmlReporter: { fileName: `${REPORT_DIR}/index.html` },
    jsonReporter: { fileName: `${REPORT_DIR}/mutation.json` },
    clearTextReporter: { allowColor: Deno.stdout.isTerminal(), logTests: false },
    thresholds: { high: 85, low: 70, break: null },
  };
  await Deno.mkdir(`${ROOT}/.stryker-tmp`, { recursive: true });
  await Deno.remove(`${ROOT}/${KILLED_DIR}`, { recursive: true }).catch(() => {});
  const cfgPath = `${ROOT}/.stryker-tmp/stryker.config.json`;
  await Deno.writeTextFile(cfgPath, JSON.stringify(config, null, 2) + "\n");
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", strykerSpecifier(), "run", cfgPath],
    cwd: ROOT,
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  // Ctrl-C: Stryker cleans its sandboxes and child processes itself; wait for it.
  const onInt = () => {};
  Deno.addSignalListener("SIGINT", onInt);
  const status = await child.status;
  Deno.removeSignalListener("SIGINT", onInt);
  if (!status.success) {
    console.error(`mutate: Stryker exited with status ${status.code}`);
    return status.code === 0 ? 1 : status.code;
  }
  const report = JSON.parse(
    await Deno.readTextFile(`${ROOT}/${REPORT_DIR}/mutation.json`),
  ) as ReportJson;
  console.log("");
  for (const line of scoreLines(report)) console.log(line);
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
