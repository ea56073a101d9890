/**
 * The semantic problems a replay met (an access to an unmapped address, a `munmap` of nothing, an
 * unknown PID, memory exhausted): the first few a strategy kept in
 * {@linkcode StrategyResult.diagnostics}, and the lines `run` prints about them, grouped across
 * strategies.
 *
 * @module
 */
import type { RunDiagnostic, RunResult, StrategyResult } from "./result.ts";

/** How many diagnostics a strategy's result keeps (the counters `segv` and `warnings` have all). */
export const MAX_DIAGNOSTICS = 20;

/**
 * Collects the first {@linkcode MAX_DIAGNOSTICS} segv and warning diagnostics of a replay; called
 * only when the machine meets a problem, never per event.
 *
 * @example
 * ```ts
 * import { DiagnosticLog } from "./diagnostics.ts";
 * const log = new DiagnosticLog(2);
 * for (const line of [3, 4, 5]) log.add({ kind: "segv", line, message: "unmapped" });
 * if (log.list.length !== 2 || log.list[1]!.line !== 4) throw new Error("expected lines 3 and 4");
 * ```
 */
export class DiagnosticLog {
  /** The diagnostics kept, in the order they happened. */
  readonly list: RunDiagnostic[] = [];
  readonly #max: number;

  /** A log keeping at most `max` diagnostics. */
  constructor(max: number = MAX_DIAGNOSTICS) {
    this.#max = max;
  }

  /** Keeps `d` if there is room (a copy: the caller may reuse its object). */
  add(d: RunDiagnostic): void {
    if (this.list.length < this.#max) {
      this.list.push({ kind: d.kind, line: d.line, message: d.message });
    }
  }
}

/**
 * The lines `run` prints about a run's diagnostics: `FILE:LINE: STRATEGY: KIND: message`, by line;
 * a problem every strategy met is printed once, as `all strategies` (several but not all: their
 * names joined by commas). When a strategy met more than it kept, a last line gives its totals
 * (again once for all strategies when their totals agree). Empty when there was no problem.
 *
 * @example
 * ```ts
 * import { formatDiagnostics } from "./diagnostics.ts";
 * import type { RunResult, StrategyResult } from "./result.ts";
 * const r = (segv: number) => ({
 *   counters: { segv, warnings: 0 },
 *   diagnostics: [{ kind: "segv", line: 7, message: "pid 1: read of unmapped 0x5000" }],
 * }) as unknown as StrategyResult;
 * const run = { trace: "t.vmt", results: { anonmm: r(1), objtree: r(1) } } as unknown as RunResult;
 * const lines = formatDiagnostics(run);
 * if (lines.join() !== "t.vmt:7: all strategies: segv: pid 1: read of unmapped 0x5000") {
 *   throw new Error(lines.join("\n"));
 * }
 * ```
 */
export function formatDiagnostics(run: RunResult): string[] {
  const names = Object.keys(run.results);
  const who = (list: string[]) =>
    list.length === names.length && names.length > 1 ? "all strategies" : list.join(",");
  const out = groupDiagnostics(run.results).map((g) =>
    `${run.trace}:${g.line}: ${who(g.strategies)}: ${g.kind}: ${g.message}`
  );

  const totals = new Map<string, string[]>();
  for (const s of names) {
    const r = run.results[s]!;
    const segv = r.counters.segv ?? 0;
    const warnings = r.counters.warnings ?? 0;
    const shown = r.diagnostics?.length ?? 0;
    if (segv + warnings <= shown) continue;
    const text = `${segv} segv, ${warnings} ${warnings === 1 ? "warning" : "warnings"} in all; ` +
      `the first ${shown} shown`;
    totals.set(text, [...totals.get(text) ?? [], s]);
  }
  for (const [text, list] of totals) out.push(`${run.trace}: ${who(list)}: ${text}`);
  return out;
}

/** A diagnostic and the strategies that met it (see {@linkcode groupDiagnostics}). */
export interface DiagnosticGroup extends RunDiagnostic {
  /** The strategies whose results hold it, in the results' order. */
  strategies: string[];
}

/**
 * The diagnostics of every strategy, each distinct one once with the strategies that met it,
 * ordered by line (then as first met).
 *
 * @example
 * ```ts
 * import { groupDiagnostics } from "./diagnostics.ts";
 * import type { StrategyResult } from "./result.ts";
 * const d = [{ kind: "warning" as const, line: 3, message: "munmap 0x1000+4096: nothing mapped" }];
 * const g = groupDiagnostics({
 *   a: { diagnostics: d } as StrategyResult,
 *   b: { diagnostics: d } as StrategyResult,
 * });
 * if (g.length !== 1 || g[0]!.strategies.join() !== "a,b") throw new Error("expected one group");
 * ```
 */
export function groupDiagnostics(results: Record<string, StrategyResult>): DiagnosticGroup[] {
  const groups = new Map<string, DiagnosticGroup>();
  for (const [s, r] of Object.entries(results)) {
    for (const d of r.diagnostics ?? []) {
      const key = `${d.line}\0${d.kind}\0${d.message}`;
      const g = groups.get(key);
      if (g === undefined) {
        groups.set(key, { kind: d.kind, line: d.line, message: d.message, strategies: [s] });
      } else if (g.strategies.at(-1) !== s) g.strategies.push(s);
    }
  }
  return [...groups.values()].sort((a, b) => a.line - b.line);
}
