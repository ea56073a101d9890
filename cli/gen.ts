/**
 * `vmreplay gen WORKLOAD [--param=value...] -o OUT`: writes a synthetic workload's trace, in the
 * form OUT's extension names (`.vmt`, `.jsonl`, `.csv`, `.vmtb`, each optionally `.gz`; `-o -`
 * prints text). `gen --list` lists the workloads; `gen WORKLOAD --help` shows its parameters and
 * their defaults. The same parameters always give the same trace.
 *
 * @module
 */
import { eventProblem } from "../trace/check.ts";
import type { Event, TraceHeader } from "../trace/event.ts";
import { formatEvent, formatHeader } from "../trace/text/stringify.ts";
import { writeTrace } from "../trace/write.ts";
import { WORKLOADS } from "../trace/gen/registry.ts";
import { ParamError, type ParamSpec, resolveParams, type Workload } from "../trace/gen/workload.ts";
import { formatSize } from "../trace/syntax.ts";
import { checkTraceOutputName, parseCommand } from "./_args.ts";
import { runCommand, UsageError } from "./_errors.ts";
import { writeStdout } from "./_output.ts";

const HELP = `Usage: vmreplay gen WORKLOAD [--PARAM=VALUE...] -o OUT
       vmreplay gen --list
       vmreplay gen WORKLOAD --help

Writes the trace of a synthetic workload. Each one reproduces a reverse-mapping strategy's cost or
pathology; every one runs under memory pressure (its header sets mem= and swap= and it adds swap
with '- swapon swap0'), and 'mark' events separate its phases. Output is deterministic: the same
parameters (including --seed) give the same trace.

Options:
  -o, --output OUT   where to write; the form follows the extension (.vmt .jsonl .csv .vmtb,
                     optionally .gz); '-' prints text to stdout
  --list             list the workloads
  -h, --help         this help, or with WORKLOAD its parameters

Workloads:
${listText()}`;

function listText(): string {
  return Object.values(WORKLOADS).map((w) => `  ${w.name.padEnd(19)}${wrap(w.summary, 21)}`)
    .join("\n");
}

/** `text` in lines of at most 100 columns, the later ones indented by `indent`. */
function wrap(text: string, indent: number): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && indent + line.length + 1 + word.length > 100) {
      lines.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  lines.push(line);
  return lines.join("\n" + " ".repeat(indent));
}

function defaultText(spec: ParamSpec, resolved: Record<string, number>): string {
  const v = resolved[spec.name]!;
  const shown = spec.kind === "size" ? formatSize(v) : String(v);
  return spec.defaultText ? `${shown} (${spec.defaultText})` : shown;
}

/** The `--help` text of one workload: what it does, what it exposes, its parameters. */
export function workloadHelp(w: Workload): string {
  const resolved = resolveParams(w, {});
  const rows = w.params.map((s) =>
    `  --${(s.name + "=" + (s.kind === "size" ? "SIZE" : "N")).padEnd(14)} ${s.description}\n` +
    `${" ".repeat(19)}default ${defaultText(s, resolved)}`
  );
  return `Usage: vmreplay gen ${w.name} [--PARAM=VALUE...] -o OUT

${w.summary[0]!.toUpperCase()}${w.summary.slice(1)}.
Exposes: ${w.exposes}.

Parameters:
${rows.join("\n")}`;
}

/** Finds the workload name: the first argument that is neither an option nor an option's value. */
function findWorkload(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "-o" || a === "--output") {
      i++;
      continue;
    }
    if (!a.startsWith("-")) return a;
  }
  return undefined;
}

/** Runs `gen`; returns the exit code. */
export function main(args: string[]): Promise<number> {
  return runCommand("gen", HELP, async () => {
    const name = findWorkload(args);
    const workload = name === undefined ? undefined : WORKLOADS[name];
    if (name !== undefined && !workload) {
      throw new UsageError(
        `Unknown workload '${name}'; expected one of ${Object.keys(WORKLOADS).join(", ")}`,
      );
    }
    const paramOptions = Object.fromEntries(
      (workload?.params ?? []).map((s) => [s.name, { type: "string" as const }]),
    );
    const options = {
      ...paramOptions,
      output: { type: "string" as const, short: "o" },
      list: { type: "boolean" as const },
    };
    const help = workload ? workloadHelp(workload) : HELP;
    let parsed;
    try {
      parsed = parseCommand({ name: "gen", help, options }, args);
    } catch (e) {
      const unknown = /Unknown option '--([^'=]+)'/.exec((e as Error).message);
      if (workload && unknown) {
        throw new UsageError(
          `Workload '${workload.name}' has no parameter --${unknown[1]}; it takes ` +
            workload.params.map((s) => `--${s.name}`).join(", "),
        );
      }
      throw e;
    }
    if (!parsed) return 0;
    const values = parsed.values as Record<string, string | boolean | undefined>;
    if (values.list) {
      console.log(listText());
      return 0;
    }
    if (!workload) throw new UsageError("Expected a WORKLOAD (see 'vmreplay gen --list')");
    if (parsed.positionals.length > 1) {
      throw new UsageError(`Expected one WORKLOAD, found '${parsed.positionals.join(" ")}'`);
    }
    const out = values.output;
    if (typeof out !== "string") throw new UsageError("Expected -o OUT (a file, or - for stdout)");
    if (out !== "-") checkTraceOutputName(out);
    const given: Record<string, string> = {};
    for (const s of workload.params) {
      const v = values[s.name];
      if (typeof v === "string") given[s.name] = v;
    }
    let params: Record<string, number>;
    try {
      params = resolveParams(workload, given);
    } catch (e) {
      if (e instanceof ParamError) throw new UsageError(e.message);
      throw e;
    }
    const trace = workload.generate(params);
    if (out === "-") {
      await printTrace(trace.header, trace.events);
      return 0;
    }
    let events = 0;
    await writeTrace(out, trace.header, counted(trace.events, () => events++));
    const shown = workload.params.map((s) =>
      `${s.name}=${s.kind === "size" ? formatSize(params[s.name]!) : params[s.name]}`
    );
    console.log(`gen ${workload.name}: wrote ${out} (${events} events; ${shown.join(" ")})`);
    return 0;
  });
}

/** Prints a trace as text to stdout as it is generated, a megabyte at a time. */
async function printTrace(header: TraceHeader, events: Iterable<Event>): Promise<void> {
  let out = formatHeader(header) + "\n";
  let n = 0;
  for (const ev of events) {
    n++;
    const problem = eventProblem(ev);
    if (problem !== undefined) throw new TypeError(`gen: event ${n}: ${problem}`);
    out += formatEvent(ev) + "\n";
    if (out.length >= 1 << 20) {
      await writeStdout(out);
      out = "";
    }
  }
  await writeStdout(out);
}

function* counted<T>(it: Iterable<T>, tick: () => void): Generator<T> {
  for (const v of it) {
    tick();
    yield v;
  }
}
