/**
 * `vmreplay import strace|lackey|perf|champsim IN -o OUT`: real traces to vmtrace.
 *
 * @module
 */
import { checkTraceOutputName, parseCommand, vmOption } from "./_args.ts";
import { InputError, runCommand, UsageError } from "./_errors.ts";
import { counted } from "./_output.ts";
import { Progress } from "./_progress.ts";
import { parseMachineSize, parseSize } from "./_sizes.ts";
import type { TraceHeader } from "../trace/event.ts";
import {
  IMPORT_OPTIONS,
  importBatches,
  importLackeyFile,
  importNotes,
  importPerfFile,
  importStraceFile,
  parseTouch,
  warningsToShow,
} from "./_importers.ts";
import { parseProcMaps } from "../trace/import/lackey/proc_maps.ts";
import { ImportError, type ImportStats } from "../trace/import/import_stats.ts";
import { PerfError } from "../trace/import/perf/command.ts";
import { importChampSimBatches } from "../trace/import/champsim/importer.ts";
import { fileChunks } from "../trace/_io.ts";

const HELP = `Usage: vmreplay import strace|lackey|perf|champsim IN -o OUT [options]

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

perf: 'perf script' output of a page-fault recording (docs/importing.md gives the perf record
and perf script commands; 'vmreplay capture --perf' runs them), or the perf.data file itself
(then perf script runs here). Each fault is an access of its page (w, x or r from the error
code) by its thread; forks, clones, execs, exits, mapping calls and exec's mappings as recorded.

champsim: a ChampSim trace (64-byte input_instr records; .xz through xz -dc, .gz as it streams).
One process; each nonzero source_memory a load, each nonzero destination_memory a store, the
fetch of ip only with --instr. Areas are inferred around the addresses as for lackey.

Options:
  -o, --output OUT     the vmtrace file to write (required)
  --mem SIZE           header default for physical memory (e.g. 1G)
  --swap SIZE          header default for swap
  --pid N              PID for lines that name none (default 1)
  --warnings N         warnings to print (default 10; all are counted)
  --vm NAME=VALUE      a kernel setting for the header, e.g. zero_page=0 (repeatable)
  -q, --quiet          print nothing but errors
 strace:
  --touch MODE         none, populate or all (default populate)
  --touch-max SIZE     never touch an area larger than this (default 1G)
 lackey:
  --no-instr           drop instruction fetches (I lines)
  --coalesce           drop an access to one of the last 8 pages already accessed as strongly
  --maps FILE          /proc/PID/maps snapshot of the process
  --area-size SIZE     block inferred around untracked addresses (default 1M; also perf, champsim)
 champsim:
  --instr              keep instruction fetches (x of each record's ip)
  -h, --help           this help
`;

/** Runs `vmreplay import ARGS`; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  return await runCommand("import", HELP, async () => {
    const parsed = parseCommand({
      name: "import",
      help: HELP,
      options: {
        ...IMPORT_OPTIONS,
        swap: { type: "string" },
        pid: { type: "string" },
        "touch-max": { type: "string" },
        maps: { type: "string" },
        "area-size": { type: "string" },
        instr: { type: "boolean" },
        vm: { type: "string", multiple: true },
      },
    }, args);
    if (!parsed) return 0;
    const v = parsed.values;
    const [kind, input, ...extra] = parsed.positionals;
    if (kind !== "strace" && kind !== "lackey" && kind !== "perf" && kind !== "champsim") {
      throw new UsageError(
        `expected 'strace', 'lackey', 'perf' or 'champsim' as the first argument, found '${
          kind ?? ""
        }'`,
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
    const only: Record<string, string[]> = {
      "no-instr": ["lackey"],
      coalesce: ["lackey"],
      maps: ["lackey"],
      "area-size": ["lackey", "perf", "champsim"],
      touch: ["strace"],
      "touch-max": ["strace"],
      instr: ["champsim"],
      pid: ["strace", "lackey", "champsim"],
    };
    for (const [o, kinds] of Object.entries(only)) {
      if (v[o as keyof typeof v] !== undefined && !kinds.includes(kind)) {
        throw new UsageError(`--${o} applies to 'import ${kinds.join("|")}' only`);
      }
    }
    const knobs = vmOption(v.vm);
    const settings: Record<string, string> = {};
    for (const [k, value] of Object.entries(knobs)) {
      settings[k] = typeof value === "boolean" ? (value ? "1" : "0") : String(value);
    }
    const touch = parseTouch(v.touch);
    header.extra = settings;
    const areaSize = v["area-size"] === undefined
      ? 1 << 20
      : parseSize(v["area-size"], "--area-size");
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
      } else if (kind === "lackey") {
        const areas = v.maps === undefined ? [] : parseProcMaps(await readText(v.maps), v.maps);
        stats = await importLackeyFile(input, v.output, header, {
          name: input,
          instructions: !v["no-instr"],
          coalesce: v.coalesce ?? false,
          areas,
          areaSize,
          pid,
        }, progress);
      } else if (kind === "perf") {
        stats = await importPerfFile(input, v.output, header, { name: input, areaSize }, progress);
      } else {
        stats = await importBatches(
          fileChunks(input),
          v.output,
          header,
          "champsim",
          (chunks, onStats) =>
            importChampSimBatches(chunks, {
              instructions: v.instr ?? false,
              areaSize,
              pid,
              stats: onStats,
            }),
          progress,
        );
      }
    } catch (e) {
      if (e instanceof ImportError || e instanceof PerfError) throw new InputError(e.message);
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
  const parts = [
    counted(s.lines, kind === "champsim" ? "record" : "line"),
    counted(s.events, "event"),
  ];
  if (kind === "strace") {
    parts.push(`${s.syscalls} calls (${s.handled} used, ${s.failed} failed)`);
    parts.push(`${s.processes} processes/threads created`, `${s.touches} synthesized accesses`);
  } else if (kind === "perf") {
    parts.push(
      `${s.touches} faults`,
      `${s.syscalls} mapping calls (${s.handled} used, ${s.failed} failed)`,
      `${s.processes} processes/threads created`,
      `${s.inferredAreas} areas inferred`,
    );
  } else if (kind === "champsim") {
    parts.push(`${s.touches} loads and stores`, `${s.inferredAreas} areas inferred`);
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
