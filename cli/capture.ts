/**
 * `vmreplay capture [--accesses|--perf] -o OUT -- COMMAND ARGS...`: runs a program under strace
 * (or Valgrind lackey, or perf) and writes its vmtrace in one step.
 *
 * @module
 */
import { checkTraceOutputName, parseCommand } from "./_args.ts";
import { InputError, runCommand, UsageError } from "./_errors.ts";
import { counted } from "./_output.ts";
import { parseMachineSize } from "./_sizes.ts";
import type { TraceHeader } from "../trace/event.ts";
import {
  IMPORT_OPTIONS,
  importLackeyFile,
  importNotes,
  importPerfFile,
  importStraceFile,
  parseTouch,
  warningsToShow,
} from "./_importers.ts";
import { ImportError, type ImportStats } from "../trace/import/import_stats.ts";
import { findPerf, PerfError, perfLaunch, perfRecordArgs } from "../trace/import/perf/command.ts";
import { kernelHasZeroPage } from "../analyze/calibrate/zero_page.ts";
import { toolRuns } from "../trace/_command.ts";

const HELP = `Usage: vmreplay capture [--accesses|--perf] [-o OUT] [options] -- COMMAND [ARGS...]

Runs COMMAND and writes a vmtrace of what it did to memory (OUT, default capture.vmt; the
extension chooses the form).

Without --accesses: under 'strace -f -yy', following every process and thread; the system calls
become the trace (see 'vmreplay import strace --help'), with loads and stores synthesized by
--touch (default populate).

With --accesses: under 'valgrind --tool=lackey --trace-mem=yes --trace-syscalls=yes', which
records every load, store and instruction fetch of a single-process program together with its
mmap, munmap, mremap, mprotect and brk calls; areas Valgrind set up before the program ran (its
image, its stack) are inferred from the addresses touched. About 50 times slower than the
program alone, and the raw log is large (use --no-instr and --coalesce to shrink the trace).

With --perf: under 'perf record', which records every page fault of every process and thread
(an access of the faulting page: w, x or r from the error code), their forks, clones, execs and
exits, the mapping calls (mmap, munmap, mremap, mprotect, madvise, brk, mlock, msync) and the
mappings exec makes, at close to the program's own speed. Replayed, the trace takes the faults
the kernel took. Needs perf (Debian: apt-get install linux-perf) and the right to record
tracepoints (root, or kernel.perf_event_paranoid=-1). The header says zero_page=0 when this
kernel has no zero page. See 'vmreplay import perf --help'.

The program's own output goes to the terminal; its exit status is reported, and a program that
fails still gives a trace.

Options:
  -o, --output OUT   the vmtrace file to write (default capture.vmt)
  --accesses         record loads and stores with Valgrind lackey (single process)
  --perf             record page faults and mapping calls with perf (the whole process tree)
  --touch MODE       with strace: none, populate or all (default populate)
  --no-instr         with --accesses: drop instruction fetches
  --coalesce         with --accesses: drop repeated accesses to recently accessed pages
  --keep-raw FILE    keep strace's or Valgrind's raw output (perf: its perf.data) in FILE
  --mem SIZE         header default for physical memory
  --warnings N       warnings to print (default 10; all are counted)
  -q, --quiet        print nothing but errors
  -h, --help         this help

Needs strace (Debian/Ubuntu: apt-get install strace) or, with --accesses, Valgrind (apt-get
install valgrind), or with --perf, perf (apt-get install linux-perf).
`;

/** Runs `vmreplay capture ARGS`; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  return await runCommand("capture", HELP, async () => {
    const dash = args.indexOf("--");
    const own = dash < 0 ? args : args.slice(0, dash);
    const command = dash < 0 ? [] : args.slice(dash + 1);
    const parsed = parseCommand({
      name: "capture",
      help: HELP,
      options: {
        ...IMPORT_OPTIONS,
        accesses: { type: "boolean" },
        perf: { type: "boolean" },
        "keep-raw": { type: "string" },
      },
      positionals: false,
    }, own);
    if (!parsed) return 0;
    const v = parsed.values;
    if (command.length === 0) {
      throw new UsageError("expected '-- COMMAND [ARGS...]', the program to run");
    }
    const touch = parseTouch(v.touch);
    const showWarnings = warningsToShow(v.warnings);
    if (v.accesses && v.perf) throw new UsageError("--accesses and --perf exclude each other");
    if ((v.accesses || v.perf) && v.touch !== undefined) {
      throw new UsageError("--touch applies with strace (without --accesses or --perf) only");
    }
    if (!v.accesses && (v["no-instr"] || v.coalesce)) {
      throw new UsageError("--no-instr and --coalesce apply with --accesses only");
    }
    const output = v.output ?? "capture.vmt";
    checkTraceOutputName(output);
    const header: TraceHeader = { version: 1 };
    if (v.mem !== undefined) header.mem = parseMachineSize(v.mem, "mem", "--mem");
    const tool = v.perf ? "perf" : v.accesses ? "valgrind" : "strace";
    const bin = tool === "perf" ? await findPerf() : tool;
    if (bin === null || (tool !== "perf" && !await toolRuns(tool))) requireTool(tool);
    const dir = await Deno.makeTempDir({ prefix: "vmreplay-capture-" });
    const raw = v["keep-raw"] ?? `${dir}/raw.${tool === "perf" ? "data" : "log"}`;
    try {
      const toolArgs = tool === "perf" ? perfRecordArgs(raw, command) : v.accesses
        ? [
          "--tool=lackey",
          "--trace-mem=yes",
          "--trace-syscalls=yes",
          `--log-file=${raw}`,
          ...command,
        ]
        : ["-f", "-yy", "-o", raw, ...command];
      const [cmd, args] = tool === "perf"
        ? perfLaunch(bin, toolArgs, await exists("/bin/bash") ? "/bin/bash" : null)
        : [bin, toolArgs];
      const status = await runTool(cmd, args);
      const untraced = () =>
        new InputError(
          `vmreplay capture: '${command.join(" ")}' could not be traced (${tool} exited with ` +
            `status ${status.code} and recorded nothing); no trace written` +
            (tool === "perf"
              ? " (perf records tracepoints as root or with kernel.perf_event_paranoid=-1)"
              : ""),
        );
      let stats: ImportStats | undefined;
      try {
        if (tool === "perf") {
          const zeroPage = kernelHasZeroPage();
          header.extra = zeroPage === false ? { zero_page: "0" } : {};
          if (zeroPage === null && !v.quiet) {
            console.error(
              "vmreplay capture: could not tell whether this kernel maps the zero page; the " +
                "header assumes it does (replay with --vm zero_page=0 if it does not)",
            );
          }
          stats = await importPerfFile(raw, output, header, { name: raw });
        } else if (v.accesses) {
          stats = await importLackeyFile(raw, output, header, {
            name: raw,
            instructions: !v["no-instr"],
            coalesce: v.coalesce ?? false,
          });
        } else stats = await importStraceFile(raw, output, header, { name: raw, touch });
      } catch (e) {
        // An empty log (nothing recorded) is an ImportError of its own; a failed tool says more;
        // perf leaves an unfinished perf.data when the program could not start.
        if (e instanceof ImportError && e.line === 0 && !status.success) throw untraced();
        if (e instanceof PerfError && !status.success) throw untraced();
        if (e instanceof ImportError || e instanceof PerfError) throw new InputError(e.message);
        if (e instanceof Deno.errors.NotFound && e.message.startsWith(`${output}: `)) {
          throw new InputError(e.message); // OUT's directory does not exist
        }
        if (e instanceof Deno.errors.NotFound) {
          throw new InputError(`${tool} wrote no output (${raw}); did '${command[0]}' start?`);
        }
        throw e;
      }
      if (stats && stats.events === 0 && !status.success) {
        await Deno.remove(output).catch(() => {});
        throw untraced();
      }
      if (!v.quiet && stats) {
        const what = tool === "perf"
          ? `${stats.touches} faults, ${stats.handled} mapping calls, ` +
            `${stats.processes} processes/threads created`
          : v.accesses
          ? `${stats.touches} accesses, ${stats.handled} mapping calls`
          : `${stats.handled} system calls used, ${stats.processes} processes/threads created, ` +
            `${stats.touches} synthesized accesses`;
        console.error(
          `vmreplay capture: '${command.join(" ")}' exited with status ${status.code}; ` +
            `${output}: ${counted(stats.events, "event")} (${what}), ` +
            counted(stats.warnings, "warning"),
        );
        // The log's line numbers, under the name it keeps (--keep-raw) or the tool's.
        const log = v["keep-raw"] ?? `${tool} log`;
        for (const line of importNotes(log, stats, showWarnings)) console.error(line);
      }
      return 0;
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  });
}

/**
 * Runs the recording tool, passing SIGINT and SIGTERM on to it (and through it to the program)
 * so that an interrupted capture leaves nothing running; then it is bad input, with no trace.
 */
async function runTool(bin: string, args: string[]): Promise<Deno.CommandStatus> {
  const child = new Deno.Command(bin, {
    args,
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  let caught: Deno.Signal | null = null;
  const forward = (sig: Deno.Signal) => () => {
    caught = sig;
    try {
      child.kill(sig);
    } catch { /* already gone */ }
  };
  const onInt = forward("SIGINT");
  const onTerm = forward("SIGTERM");
  Deno.addSignalListener("SIGINT", onInt);
  Deno.addSignalListener("SIGTERM", onTerm);
  try {
    const status = await child.status;
    if (caught) throw new InputError(`vmreplay capture: interrupted (${caught}); no trace written`);
    return status;
  } finally {
    Deno.removeSignalListener("SIGINT", onInt);
    Deno.removeSignalListener("SIGTERM", onTerm);
  }
}

/** Whether `path` exists. */
async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/** Fails with install instructions for `tool`, which does not run. */
function requireTool(tool: "strace" | "valgrind" | "perf"): never {
  if (tool === "perf") {
    throw new InputError(
      `vmreplay capture: perf is needed for --perf but was not found (nor a /usr/bin/perf_X.Y ` +
        `that runs; $PERF names one). Install it (Debian: apt-get install linux-perf; ` +
        `Ubuntu: apt-get install linux-tools-$(uname -r); Fedora: dnf install perf) and try again.`,
    );
  }
  throw new InputError(
    `vmreplay capture: ${tool} is needed${
      tool === "valgrind" ? " for --accesses" : ""
    } but was not found. ` +
      `Install it (Debian/Ubuntu: apt-get install ${tool}; Fedora: dnf install ${tool}; ` +
      `Arch: pacman -S ${tool}) and try again.`,
  );
}
