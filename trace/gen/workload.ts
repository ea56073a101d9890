/**
 * What a workload generator is: a name, the pathology it exposes, its parameters with defaults,
 * and a function from parameter values to a trace (header and events).
 *
 * Parameters are numbers. A `size` parameter accepts a binary suffix (`64M`) and holds bytes; a
 * default may depend on other parameters (memory is sized from the footprint so that every workload
 * replays under pressure).
 *
 * @module
 */
import type { Event, TraceHeader } from "../event.ts";

/** How a parameter's text is read: a whole number, or a size in bytes (`64M`, `4096`). */
export type ParamKind = "int" | "size";

/** One parameter of a workload. */
export interface ParamSpec {
  /** `--NAME=value` on the command line. */
  name: string;
  /** One line of help. */
  description: string;
  /** What values the parameter takes. */
  kind: ParamKind;
  /** The default value, or a function of the other (already resolved) parameters. */
  default: number | ((p: Readonly<Record<string, number>>) => number);
  /** How `--help` shows a computed default (e.g. `half the footprint`). */
  defaultText?: string;
  /** Smallest value accepted (default 0). */
  min?: number;
  /** Largest value accepted. */
  max?: number;
  /** Why `max` is the limit (said in the error for a larger value). */
  maxText?: string;
}

/** A generated trace: its header and its events (iterable more than once, generated lazily). */
export interface GeneratedTrace {
  /** The trace's header: machine defaults that make it replay under pressure. */
  header: TraceHeader;
  /** The events, generated lazily each time they are iterated. */
  events: Iterable<Event>;
}

/** A workload generator. */
export interface Workload {
  /** `gen NAME`. */
  name: string;
  /** One line: what the workload does. */
  summary: string;
  /** Which strategy's cost (or which machine behaviour) it exposes, and why. */
  exposes: string;
  /** Parameters in the order they are resolved (a computed default may use earlier ones). */
  params: readonly ParamSpec[];
  /** Builds the trace from fully resolved parameters (see {@linkcode resolveParams}). */
  generate(params: Readonly<Record<string, number>>): GeneratedTrace;
}

/** A parameter value that could not be read or is out of range; the message names it. */
export class ParamError extends Error {
  /** Makes a parameter error. */
  constructor(message: string) {
    super(message);
    this.name = "ParamError";
  }
}

const SIZE_RE = /^(0x[0-9a-f]+|\d+)([KMGT]?)$/i;
const MULT: Record<string, number> = { "": 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

/** Reads one parameter value from text; throws {@linkcode ParamError} naming it. */
export function parseParam(spec: ParamSpec, text: string): number {
  let n: number;
  if (spec.kind === "size") {
    const m = SIZE_RE.exec(text.trim());
    if (!m) {
      throw new ParamError(`--${spec.name}: expected a size like 64M or 4096, found '${text}'`);
    }
    n = Number(m[1]) * MULT[m[2]!.toUpperCase()]!;
  } else {
    if (!/^-?(0x[0-9a-f]+|\d+)$/i.test(text.trim())) {
      throw new ParamError(`--${spec.name}: expected a whole number, found '${text}'`);
    }
    n = Number(text.trim());
  }
  return n;
}

/**
 * Resolves a workload's parameters: given values (text or numbers) and defaults, range-checked.
 * Throws {@linkcode ParamError} for an unknown name, unreadable text or a value out of range.
 *
 * @example
 * ```ts
 * import { resolveParams } from "./workload.ts";
 * import { WORKLOADS } from "./registry.ts";
 * const p = resolveParams(WORKLOADS["aim7"]!, { children: "4" });
 * if (p.children !== 4 || p.seed !== 1) throw new Error("unexpected parameters");
 * ```
 */
export function resolveParams(
  workload: Workload,
  given: Readonly<Record<string, string | number>>,
): Record<string, number> {
  const known = new Set(workload.params.map((s) => s.name));
  for (const name of Object.keys(given)) {
    if (!known.has(name)) {
      throw new ParamError(
        `Workload '${workload.name}' has no parameter --${name}; ` +
          `it takes ${workload.params.map((s) => `--${s.name}`).join(", ")}`,
      );
    }
  }
  const out: Record<string, number> = {};
  for (const spec of workload.params) {
    const raw = given[spec.name];
    let v: number;
    if (raw === undefined) {
      // A computed default never falls below the minimum (tiny workloads get the smallest machine).
      // Nor above the maximum (huge workloads get the largest machine).
      v = typeof spec.default === "function"
        ? Math.min(spec.max ?? Infinity, Math.max(spec.min ?? 0, spec.default(out)))
        : spec.default;
    } else {
      v = typeof raw === "number" ? raw : parseParam(spec, raw);
    }
    if (!Number.isSafeInteger(v)) {
      throw new ParamError(`--${spec.name}: expected a whole number, found ${v}`);
    }
    const min = spec.min ?? 0;
    if (v < min) throw new ParamError(`--${spec.name}: must be at least ${min}, found ${v}`);
    if (spec.max !== undefined && v > spec.max) {
      const why = spec.maxText !== undefined ? ` (${spec.maxText})` : "";
      throw new ParamError(`--${spec.name}: must be at most ${spec.max}${why}, found ${v}`);
    }
    out[spec.name] = v;
  }
  return out;
}

/** Makes an events iterable that regenerates the sequence on every iteration. */
export function lazyEvents(make: () => Generator<Event>): Iterable<Event> {
  return { [Symbol.iterator]: make };
}
