/**
 * `vmreplay strategies [--json]`: lists every registered reverse-mapping strategy with its origin
 * and its idea in one line (the default marked).
 *
 * @module
 */
import { DEFAULT_STRATEGY, STRATEGIES } from "../core/rmap/registry.ts";
import { parseCommand } from "./_args.ts";
import { runCommand, UsageError } from "./_errors.ts";

const HELP = `Usage: vmreplay strategies [--json]

Lists the reverse-mapping strategies a replay can run, each with where it comes from and its idea
in one line. 'run --strategies a,b' takes these names; the default is marked with '*'.

Options:
  --json       print a JSON array of { name, origin, idea, default }
  -h, --help   this help`;

/** One row of the listing. */
export interface StrategyRow {
  name: string;
  origin: string;
  idea: string;
  default: boolean;
}

/**
 * The registered strategies, in registry order.
 *
 * @example
 * ```ts
 * import { strategyRows } from "./strategies.ts";
 * if (!strategyRows().some((r) => r.default)) throw new Error("no default strategy");
 * ```
 */
export function strategyRows(): StrategyRow[] {
  return Object.values(STRATEGIES).map((s) => ({
    name: s.name,
    origin: s.origin,
    idea: s.idea,
    default: s.name === DEFAULT_STRATEGY,
  }));
}

/**
 * The text listing: a name and origin line per strategy, its idea indented below.
 *
 * @example
 * ```ts
 * import { formatStrategies, strategyRows } from "./strategies.ts";
 * if (!formatStrategies(strategyRows()).includes("anon_vma_chain *")) throw new Error();
 * ```
 */
export function formatStrategies(rows: StrategyRow[]): string {
  const w = Math.max(...rows.map((r) => r.name.length + (r.default ? 2 : 0)));
  return rows.map((r) =>
    `${(r.name + (r.default ? " *" : "")).padEnd(w)}  ${r.origin}\n${" ".repeat(w + 2)}${r.idea}`
  ).join("\n") + "\n\n* default";
}

/** Runs `vmreplay strategies ARGS`; returns the exit code. */
export function main(args: string[]): Promise<number> {
  return runCommand("strategies", HELP, () => {
    const parsed = parseCommand(
      { name: "strategies", help: HELP, options: { json: { type: "boolean" } } },
      args,
    );
    if (!parsed) return Promise.resolve(0);
    if (parsed.positionals.length > 0) {
      throw new UsageError(`unexpected argument '${parsed.positionals[0]}'`);
    }
    const rows = strategyRows();
    console.log(parsed.values.json ? JSON.stringify(rows, null, 2) : formatStrategies(rows));
    return Promise.resolve(0);
  });
}
