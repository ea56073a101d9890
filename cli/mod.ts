/**
 * vmreplay's command line: the command table and the dispatcher. `main.ts` at the top of the
 * repository is the entry point (`deno run -A main.ts COMMAND [ARGS...]`, or `deno task vmreplay`).
 *
 * Each command lives in its own module in this folder, loaded only when it is called, and exports
 * `main(args): Promise<number>` returning the exit code. The small private modules beside them are
 * what the commands share: `_errors.ts` (exit codes, usage and input errors, and turning errors
 * into exit codes), `_args.ts` (option parsing with `--help`), `_output.ts` (atomic output files,
 * standard output), `_progress.ts` (a progress line) and `_sizes.ts` (sizes like `64M`).
 *
 * @module
 */

/** A command: its one-line summary and a loader for its module. */
interface CommandEntry {
  summary: string;
  load: () => Promise<{ main(args: string[]): Promise<number> }>;
}

/** Every command, in the order `--help` lists them. */
const COMMANDS: Record<string, CommandEntry> = {
  run: {
    summary: "replay traces once per strategy and compare them (table, --json, --csv, store)",
    load: () => import("./run.ts"),
  },
  sweep: {
    summary: "replay traces at many memory sizes: curves, shards (plan/run/merge), SLURM",
    load: () => import("./sweep.ts"),
  },
  runs: {
    summary: "list, show, export (--csv/--json) and delete runs in the results store",
    load: () => import("./runs.ts"),
  },
  validate: {
    summary: "check traces without replaying them (exit 1 and FILE:LINE:COL: message if not)",
    load: () => import("./validate.ts"),
  },
  convert: {
    summary: "convert a trace between .vmt, .jsonl, .csv and .vmtb (each optionally .gz)",
    load: () => import("./convert.ts"),
  },
  stats: {
    summary: "events by op, processes, address range and pages touched of a trace",
    load: () => import("./stats.ts"),
  },
  import: {
    summary: "convert strace -f or Valgrind lackey output to a vmtrace file",
    load: () => import("./import.ts"),
  },
  capture: {
    summary: "run a program under strace (or Valgrind lackey) and write its vmtrace in one step",
    load: () => import("./capture.ts"),
  },
  calibrate: {
    summary: "run C probes, compare the kernel's fault counts with the simulator's, per phase",
    load: () => import("./calibrate.ts"),
  },
  gen: {
    summary: "write a synthetic workload's trace (aim7, fork-chain, mremap-after-fork, ...)",
    load: () => import("./gen.ts"),
  },
  strategies: {
    summary: "list the reverse-mapping strategies with their origin and idea",
    load: () => import("./strategies.ts"),
  },
  serve: {
    summary: "the dashboard: runs, charts, comparisons, trace upload (http://127.0.0.1:8000/)",
    load: () => import("./serve.ts"),
  },
  start: {
    summary: "replay the bundled traces into an empty results store, then serve the dashboard",
    load: () => import("./start.ts"),
  },
};

const HELP =
  `vmreplay: replay memory traces through a simulated Linux VM, once per reverse-mapping strategy

Usage: vmreplay COMMAND [ARGS...]

'deno task install' in the repository installs this command (see docs/install.md); there,
'deno task vmreplay COMMAND' works too.

Commands:
${Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(12)}${c.summary}`).join("\n")}

Run 'vmreplay COMMAND --help' for a command's options.
Exit codes: 0 success, 1 bad input, 2 usage error.`;

/** Runs the command line `args`; returns the exit code. */
export async function cli(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(HELP);
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-V") {
    const { VERSION } = await import("../analyze/version.ts");
    console.log(`vmreplay ${VERSION}`);
    return 0;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    console.error(`vmreplay: unknown command '${name}'`);
    console.error(`Commands: ${Object.keys(COMMANDS).join(", ")}. Run 'vmreplay --help'.`);
    return 2;
  }
  const mod = await cmd.load();
  return await mod.main(rest);
}
