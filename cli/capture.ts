/**
 * `vmreplay capture [--accesses] -o OUT -- COMMAND ARGS...`: runs a program under strace (or
 * Valgrind lackey) and writes its vmtrace in one step.
 *
 * @module
 */
import { checkTraceOutputName, parseCommand } from "./_args.ts";
import { InputError, runCommand, UsageError } from "./_errors.ts";
import { counted } from "./_output.ts";
import { parseMachineSize } from "./_sizes.ts";
import type { TraceHeader } from "../trace/event.ts";
import {
  importLackeyFile,
  importNotes,
  importStraceFile,
  parseTouch,
  warningsToShow,
} from "./_importers.ts";
import { ImportError, type ImportStats } from "../trace/import/import_stats.ts";

const HELP = `Usage: vmreplay capture [--accesses] [-o OUT] [options] -- COMMAND [ARGS...]

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

The program's own output goes to the terminal; its exit status is reported, and a program that
fails still gives a trace.

Options:
  -o, --output OUT   the vmtrace file to write (default capture.vmt)
  --accesses         record loads and stores with Valgrind lackey (single process)
  --touch MODE       without --accesses: none, populate or all (default populate)
  --no-instr         with --accesses: drop instruction fetches
  --coalesce         with --accesses: drop repeated accesses to recently accessed pages
  --keep-raw FILE    keep strace's or Valgrind's raw output in FILE
  --mem SIZE         header default for physical memory
  --warnings N       warnings to print (default 10; all are counted)
  -q, --quiet        print nothing but errors
  -h, --help         this help

Needs strace (Debian/Ubuntu: apt-get install strace) or, with --accesses, Valgrind (apt-get
install valgrind).
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
        output: { type: "string", short: "o" },
        accesses: { type: "boolean" },
        touch: { type: "string" },
        "no-instr": { type: "boolean" },
        coalesce: { type: "boolean" },
        "keep-raw": { type: "string" },
        mem: { type: "string" },
        warnings: { type: "string" },
        quiet: { type: "boolean", short: "q" },
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
    if (v.accesses && v.touch !== undefined) {
      throw new UsageError("--touch applies without --accesses only");
    }
    if (!v.accesses && (v["no-instr"] || v.coalesce)) {
      throw new UsageError("--no-instr and --coalesce apply with --accesses only");
    }
    const output = v.output ?? "capture.vmt";
    checkTraceOutputName(output);
    const header: TraceHeader = { version: 1 };
    if (v.mem !== undefined) header.mem = parseMachineSize(v.mem, "mem", "--mem");
    const tool = v.accesses ? "valgrind" : "strace";
    await requireTool(tool);
    const dir = await Deno.makeTempDir({ prefix: "vmreplay-capture-" });
    const raw = v["keep-raw"] ?? `${dir}/raw.log`;
    try {
      const toolArgs = v.accesses
        ? [
          "--tool=lackey",
          "--trace-mem=yes",
          "--trace-syscalls=yes",
          `--log-file=${raw}`,
          ...command,
        ]
        : ["-f", "-yy", "-o", raw, ...command];
      const status = await new Deno.Command(tool, {
        args: toolArgs,
        stdin: "inherit",
        stdout: "inherit",
        stderr: "inherit",
      }).output();
      let stats: ImportStats | undefined;
      // The program could not be run or traced: the tool failed and the log holds nothing usable.
      const untraced = () =>
        new InputError(
          `vmreplay capture: '${
            command.join(" ")
          }' could not be traced (${tool} exited with status ` +
            `${status.code} and recorded nothing); no trace written`,
        );
      try {
        stats = v.accesses
          ? await importLackeyFile(raw, output, header, {
            name: raw,
            instructions: !v["no-instr"],
            coalesce: v.coalesce ?? false,
          })
          : await importStraceFile(raw, output, header, { name: raw, touch });
      } catch (e) {
        // An empty log (nothing recorded) is an ImportError of its own; a failed tool says more.
        if (e instanceof ImportError && e.line === 0 && !status.success) throw untraced();
        if (e instanceof ImportError) throw new InputError(e.message);
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
        const what = v.accesses
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

/** Fails with install instructions when `tool` does not run. */
async function requireTool(tool: "strace" | "valgrind"): Promise<void> {
  try {
    const out = await new Deno.Command(tool, {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    })
      .output();
    if (out.success) return;
  } catch {
    // not installed
  }
  throw new InputError(
    `vmreplay capture: ${tool} is needed${
      tool === "valgrind" ? " for --accesses" : ""
    } but was not found. ` +
      `Install it (Debian/Ubuntu: apt-get install ${tool}; Fedora: dnf install ${tool}; ` +
      `Arch: pacman -S ${tool}) and try again.`,
  );
}
