/**
 * `vmreplay import strace|lackey IN -o OUT`: real traces to vmtrace.
 *
 * @module
 */
import { checkTraceOutputName, parseCommand } from "./_args.ts";
import { InputError, runCommand, UsageError } from "./_errors.ts";
import { counted } from "./_output.ts";
import { Progress } from "./_progress.ts";
import { parseMachineSize, parseSize } from "./_sizes.ts";
import type { TraceHeader } from "../trace/event.ts";
import {
  importLackeyFile,
  importNotes,
  importStraceFile,
  parseTouch,
  warningsToShow,
} from "./_importers.ts";
import { parseProcMaps } from "../trace/import/lackey/proc_maps.ts";
import { ImportError, type ImportStats } from "../trace/import/import_stats.ts";

const HELP = `Usage: vmreplay import strace|lackey IN -o OUT [options]

Converts a real trace to vmtrace. OUT's extension chooses the form (.vmt, .jsonl, .csv, .vmtb,
each optionally .gz). IN may be '-' for standard input. Prints a summary, how many calls were
wholly on memory the trace never mapped (what execve maps: skipped), and the first warnings
(unusual lines, calls partly on such memory) as IN:LINE: warning: message.
A malformed line stops the import with IN:LINE: message (exit 1).

strace: output of 'strace -f' (with or without -o, -t/-tt/-ttt/-r, -y/-yy). strace records no
loads or stores; --touch chooses which accesses are synthesized:
  none      only the system calls (faults come from MAP_POPULATE and mlock alone)
  populate  (default) every page once as it becomes accessible: after mmap, brk growth, mremap
            growth, shmat and mprotect from PROT_NONE; a write where writable, else a read
  all       populate, plus after every fork the parent, then the child, touch all their pages
Areas with MAP_NORESERVE or larger than --touch-max are never touched.

lackey: output of 'valgrind --tool=lackey --trace-mem=yes' (one process per file). Areas come
from --maps (a /proc/PID/maps snapshot) and, for addresses outside them, are inferred: the
--area-size block around the first access is mapped rwx private anonymous.

Options:
  -o, --output OUT     the vmtrace file to write (required)
  --mem SIZE           header default for physical memory (e.g. 1G)
  --swap SIZE          header default for swap
  --pid N              PID for lines that name none (default 1)
  --warnings N         warnings to print (default 10; all are counted)
  -q, --quiet          print nothing but errors
 strace:
  --touch MODE         none, populate or all (default populate)
  --touch-max SIZE     never touch an area larger than this (default 1G)
 lackey:
  --no-instr           drop instruction fetches (I lines)
  --coalesce           drop an access to one of the last 8 pages already accessed as strongly
  --maps FILE          /proc/PID/maps snapshot of the process
  --area-size SIZE     block inferred around untracked addresses (default 1M)
  -h, --help           this help
`;

/** Runs `vmreplay import ARGS`; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  return await runCommand("import", HELP, async () => {
    const parsed = parseCommand({
      name: "import",
      help: HELP,
      options: {
        output: { type: "string", short: "o" },
        mem: { type: "string" },
        swap: { type: "string" },
        pid: { type: "string" },
        warnings: { type: "string" },
        quiet: { type: "boolean", short: "q" },
        touch: { type: "string" },
        "touch-max": { type: "string" },
        "no-instr": { type: "boolean" },
        coalesce: { type: "boolean" },
        maps: { type: "string" },
        "area-size": { type: "string" },
      },
    }, args);
    if (!parsed) return 0;
    const v = parsed.values;
    const [kind, input, ...extra] = parsed.positionals;
    if (kind !== "strace" && kind !== "lackey") {
      throw new UsageError(
        `expected 'strace' or 'lackey' as the first argument, found '${kind ?? ""}'`,
      );
    }
    if (input === undefined) throw new UsageError("expected the input file IN (or '-')");
    if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
    if (v.output === undefined) throw new UsageError("expected -o OUT, the vmtrace file to write");
    checkTraceOutputName(v.output);
    const header: TraceHeader = { version: 1 };
    if (v.mem !== undefined) header.mem = parseMachineSize(v.mem, "mem", "--mem");
    if (v.swap !== undefined) header.swap = parseMachineSize(v.swap, "swap", "--swap");
    const pid = v.pid === undefined ? 1 : parsePositive(v.pid, "--pid");
    const showWarnings = warningsToShow(v.warnings);
    if (kind === "strace") {
      for (const o of ["no-instr", "coalesce", "maps", "area-size"] as const) {
        if (v[o] !== undefined) throw new UsageError(`--${o} applies to 'import lackey' only`);
      }
    } else {
      for (const o of ["touch", "touch-max"] as const) {
        if (v[o] !== undefined) throw new UsageError(`--${o} applies to 'import strace' only`);
      }
    }
    const touch = parseTouch(v.touch);
    const t0 = performance.now();
    const progress = new Progress(`import ${kind} ${input}`);
    let stats: ImportStats | undefined;
    try {
      if (kind === "strace") {
        stats = await importStraceFile(input, v.output, header, {
          name: input,
          touch,
          touchMax: v["touch-max"] === undefined
            ? 2 ** 30
            : parseSize(v["touch-max"], "--touch-max"),
          defaultPid: pid,
        });
      } else {
        const areas = v.maps === undefined ? [] : parseProcMaps(await readText(v.maps), v.maps);
        stats = await importLackeyFile(input, v.output, header, {
          name: input,
          instructions: !v["no-instr"],
          coalesce: v.coalesce ?? false,
          areas,
          areaSize: v["area-size"] === undefined
            ? 1 << 20
            : parseSize(v["area-size"], "--area-size"),
          pid,
        }, progress);
      }
    } catch (e) {
      if (e instanceof ImportError) throw new InputError(e.message);
      throw e;
    } finally {
      progress.done();
    }
    if (!v.quiet) printSummary(kind, input, v.output, stats, performance.now() - t0, showWarnings);
    return 0;
  });
}

function printSummary(
  kind: string,
  input: string,
  output: string,
  s: ImportStats | undefined,
  ms: number,
  show: number,
): void {
  if (!s) return;
  const parts = [counted(s.lines, "line"), counted(s.events, "event")];
  if (kind === "strace") {
    parts.push(`${s.syscalls} calls (${s.handled} used, ${s.failed} failed)`);
    parts.push(`${s.processes} processes/threads created`, `${s.touches} synthesized accesses`);
  } else {
    parts.push(
      `${s.touches} accesses kept`,
      `${s.dropped} dropped`,
      `${s.inferredAreas} areas inferred`,
    );
  }
  console.log(
    `${input} -> ${output}: ${parts.join(", ")}; ${counted(s.warnings, "warning")} (${
      (ms / 1000).toFixed(2)
    } s)`,
  );
  for (const line of importNotes(input, s, show)) console.log(line);
}

async function readText(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new InputError(`${path}: no such file`);
    throw e;
  }
}

function parsePositive(text: string, what: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) {
    throw new UsageError(`${what}: expected a positive integer, found '${text}'`);
  }
  return n;
}
