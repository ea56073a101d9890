/**
 * What the workload generators share beyond their events: the parameters every workload ends with
 * (`--mem`, `--swap`, `--seed`, sized from its footprint), the limit on children, and
 * {@linkcode swapWorkload}, the opening of every trace (its header, `- swapon swap0`, a seeded
 * generator).
 *
 * @module
 */
import { type Event, PAGE_SIZE, type TraceHeader } from "../event.ts";
import { Rng } from "../_rng.ts";
import { MEM_MAX, MEM_OPTION_MIN, SWAP_MAX } from "../../uapi/limits.ts";
import { lazyEvents, type ParamSpec, type Workload } from "./workload.ts";
import { swapon } from "./_events.ts";

/** Most child processes a generator can fork: their PIDs, 2 up, must stay ≤ 2^31 - 1. */
export const MAX_CHILDREN = 0x7fffffff - 1;
/** Why {@linkcode MAX_CHILDREN} is the limit, for the parameter error. */
export const MAX_CHILDREN_TEXT = "process ids end at 2147483647";

/**
 * A parameter counting forked processes (children, generations, apps): a whole number from 1 to
 * {@linkcode MAX_CHILDREN}.
 */
export function childrenParam(name: string, description: string, byDefault: number): ParamSpec {
  return {
    name,
    description,
    kind: "int",
    default: byDefault,
    min: 1,
    max: MAX_CHILDREN,
    maxText: MAX_CHILDREN_TEXT,
  };
}

/** Page-table pages a process needs for `pages` pages spread over `areas` areas (an estimate). */
export function pageTablePages(pages: number, areas: number): number {
  return 3 + areas + Math.ceil(pages / 512);
}

/** Rounds bytes up to whole pages. */
export function pagesToBytes(pages: number): number {
  return Math.max(1, Math.ceil(pages)) * PAGE_SIZE;
}

/**
 * The parameters every workload ends with: memory, swap (both defaulting to sizes computed from the
 * workload's footprint in pages) and the random seed.
 */
export function machineParams(
  mem: (p: Readonly<Record<string, number>>) => number,
  memText: string,
  swap: (p: Readonly<Record<string, number>>) => number,
  swapText: string,
): ParamSpec[] {
  return [
    {
      name: "mem",
      description: "physical memory of the replaying machine (trace header mem=)",
      kind: "size",
      default: (p) => pagesToBytes(mem(p)),
      defaultText: memText,
      min: MEM_OPTION_MIN,
      max: MEM_MAX,
      maxText: "4T, the largest machine",
    },
    {
      name: "swap",
      description: "size of the swap device swap0 (header swap= and '- swapon swap0')",
      kind: "size",
      default: (p) => pagesToBytes(swap(p)),
      defaultText: swapText,
      min: PAGE_SIZE,
      max: SWAP_MAX,
      maxText: "4T, the largest swap device",
    },
    { name: "seed", description: "random seed", kind: "int", default: 1 },
  ];
}

/** A workload's footprint in pages, from its resolved parameters. */
export type Footprint = (p: Readonly<Record<string, number>>) => number;

/**
 * {@linkcode machineParams} sized from a workload's `footprint`: memory `mem(footprint)` pages
 * (`memText` says how in `--help`), swap `swap(footprint)` pages, twice the footprint by default.
 */
export function footprintParams(
  footprint: Footprint,
  mem: (fp: number) => number,
  memText: string,
  swap: (fp: number) => number = (fp) => fp * 2,
  swapText = "twice the footprint",
): ParamSpec[] {
  return machineParams((p) => mem(footprint(p)), memText, (p) => swap(footprint(p)), swapText);
}

/** A workload as {@linkcode swapWorkload} completes it: its events instead of `generate`. */
export interface SwapWorkloadSpec extends Omit<Workload, "generate"> {
  /**
   * The events after `- swapon swap0 SWAP`, from the resolved parameters `p`; `rng` is seeded with
   * `--seed`.
   */
  events(p: Readonly<Record<string, number>>, rng: Rng): Generator<Event>;
}

/**
 * A workload whose trace has the {@linkcode header} of its parameters and starts by turning on
 * the swap device `swap0` of `--swap` bytes; the rest is `spec.events`, generated lazily.
 */
export function swapWorkload(spec: SwapWorkloadSpec): Workload {
  const { events, ...rest } = spec;
  return {
    ...rest,
    generate(p) {
      return {
        header: header(spec.name, p),
        events: lazyEvents(function* () {
          const rng = new Rng(p.seed!);
          yield swapon("swap0", p.swap!);
          yield* events(p, rng);
        }),
      };
    },
  };
}

/** The header every generator writes: memory and swap from the parameters, and its name. */
export function header(workload: string, p: Readonly<Record<string, number>>): TraceHeader {
  return { version: 1, mem: p.mem!, swap: p.swap!, extra: { workload } };
}
