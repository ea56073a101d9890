/**
 * Short constructors for the events the workload generators emit, and the parameters every
 * workload shares (`--mem`, `--swap`, `--seed`).
 *
 * @module
 */
import { type Addr, type Event, MapFlag, PAGE_SIZE, Prot, type TraceHeader } from "../event.ts";
import { Rng } from "../_rng.ts";
import { lazyEvents, type ParamSpec, type Workload } from "./workload.ts";

/** `rw-`. */
export const RW = Prot.read | Prot.write;
/** `r--`. */
export const RO = Prot.read;
/** `r-x`. */
export const RX = Prot.read | Prot.exec;
/** `private,anon`. */
export const PRIVATE_ANON = MapFlag.private | MapFlag.anon;
/** `shared,anon`. */
export const SHARED_ANON = MapFlag.shared | MapFlag.anon;
/** `private` (file-backed). */
export const PRIVATE = MapFlag.private;
/** `shared` (file- or tmpfs-backed). */
export const SHARED = MapFlag.shared;

/** Most child processes a generator can fork: their PIDs, 2 up, must stay ≤ 2^31 - 1. */
export const MAX_CHILDREN = 0x7fffffff - 1;
/** Why {@linkcode MAX_CHILDREN} is the limit, for the parameter error. */
export const MAX_CHILDREN_TEXT = "process ids end at 2147483647";

/** Bytes per access the generators use for loads and stores (one machine word). */
const WORD = 8;

/** Byte address of page `i` of an area starting at `base`. */
export function at(base: number, i: number): number {
  return base + i * PAGE_SIZE;
}

/** `PID mmap ADDR LEN PROT FLAGS [OBJECT [OFFSET]]`, LEN and OFFSET in pages. */
export function mmap(
  pid: number,
  addr: Addr,
  pages: number,
  prot: number,
  flags: number,
  object?: string,
  offsetPages = 0,
): Event {
  const e: Event = { pid, op: "mmap", addr, len: pages * PAGE_SIZE, prot, flags };
  if (object !== undefined) {
    e.object = object;
    e.offset = offsetPages * PAGE_SIZE;
  }
  return e;
}

/** `PID munmap ADDR LEN`, LEN in pages. */
export function munmap(pid: number, addr: Addr, pages: number): Event {
  return { pid, op: "munmap", addr, len: pages * PAGE_SIZE };
}

/** `PID mremap OLD OLDLEN NEW NEWLEN`, lengths in pages. */
export function mremap(
  pid: number,
  addr: Addr,
  pages: number,
  newAddr: Addr,
  newPages: number,
): Event {
  return {
    pid,
    op: "mremap",
    addr,
    len: pages * PAGE_SIZE,
    newAddr,
    newLen: newPages * PAGE_SIZE,
  };
}

/** `PID madvise ADDR LEN pageout`, LEN in pages. */
export function pageout(pid: number, addr: Addr, pages: number): Event {
  return { pid, op: "madvise", addr, len: pages * PAGE_SIZE, advice: "pageout" };
}

/** `PID r ADDR 8`. */
export function r(pid: number, addr: Addr): Event {
  return { pid, op: "r", addr, len: WORD };
}

/** `PID w ADDR 8`. */
export function w(pid: number, addr: Addr): Event {
  return { pid, op: "w", addr, len: WORD };
}

/** `PID x ADDR 8`. */
export function x(pid: number, addr: Addr): Event {
  return { pid, op: "x", addr, len: WORD };
}

/** `PID fork CHILD`. */
export function fork(pid: number, child: number): Event {
  return { pid, op: "fork", child };
}

/** `PID exit`. */
export function exit(pid: number): Event {
  return { pid, op: "exit" };
}

/** `- mark LABEL`. */
export function mark(label: string): Event {
  return { pid: 0, op: "mark", label };
}

/** `- reclaim PAGES`. */
export function reclaim(pages: number): Event {
  return { pid: 0, op: "reclaim", pages };
}

/** `- swapon NAME SIZE`. */
export function swapon(name: string, bytes: number): Event {
  return { pid: 0, op: "swapon", name, size: bytes };
}

/** `- swapoff NAME`. */
export function swapoff(name: string): Event {
  return { pid: 0, op: "swapoff", name };
}

/** `PID create OBJECT SIZE`, SIZE in pages. */
export function create(pid: number, object: string, pages: number): Event {
  return { pid, op: "create", object, size: pages * PAGE_SIZE };
}

/** `PID write OBJECT OFFSET LEN`, OFFSET and LEN in pages. */
export function write(pid: number, object: string, offsetPages: number, pages: number): Event {
  return { pid, op: "write", object, offset: offsetPages * PAGE_SIZE, len: pages * PAGE_SIZE };
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
      min: 16 * PAGE_SIZE,
    },
    {
      name: "swap",
      description: "size of the swap device swap0 (header swap= and '- swapon swap0')",
      kind: "size",
      default: (p) => pagesToBytes(swap(p)),
      defaultText: swapText,
      min: PAGE_SIZE,
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
