/**
 * {@linkcode eventProblem}: checks an {@linkcode Event} object built in code against the rules
 * every trace form enforces, so that a writer never produces a file its readers reject.
 *
 * @module
 */
import { ADVICES, type Event, OPS, PAGE_SIZE, SYSTEM_OPS } from "./event.ts";
import { accessLenProblem, rwProblem, swaponSizeProblem } from "../uapi/limits.ts";
import { checkFlagBits, checkName } from "./syntax.ts";

const TWO57 = 2n ** 57n;

function addrProblem(a: unknown, what: string): string | undefined {
  if (typeof a === "bigint") {
    return a >= 0n && a < TWO57 ? undefined : `${what} ${a} is outside [0, 2^57)`;
  }
  return Number.isSafeInteger(a) && (a as number) >= 0
    ? undefined
    : `${what} ${String(a)} is not an address (a non-negative integer, bigint from 2^53)`;
}

function numProblem(n: unknown, what: string): string | undefined {
  return Number.isSafeInteger(n) && (n as number) >= 0
    ? undefined
    : `${what} ${String(n)} is not a non-negative integer below 2^53`;
}

function protProblem(prot: number): string | undefined {
  return Number.isInteger(prot) && prot >= 0 && prot <= 7 ? undefined : `Bad PROT ${prot}`;
}

function pidProblem(n: unknown, what: string): string | undefined {
  return Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 0x7fffffff
    ? undefined
    : `${what} ${String(n)} is not a process id (1 to 2147483647)`;
}

/**
 * What is wrong with an mmap OFFSET, or `undefined`: it must be page-aligned (docs/trace-format.md),
 * as mmap(2) requires. Every reader and writer uses this one check.
 *
 * @example
 * ```ts
 * import { mmapOffsetProblem } from "./check.ts";
 * if (mmapOffsetProblem(8192) !== undefined) throw new Error("8192 is aligned");
 * if (mmapOffsetProblem(100) === undefined) throw new Error("100 is not");
 * ```
 */
export function mmapOffsetProblem(offset: number): string | undefined {
  return offset % PAGE_SIZE === 0
    ? undefined
    : `Expected a page-aligned mmap OFFSET (a multiple of ${PAGE_SIZE}), found ${offset} ` +
      `(0x${offset.toString(16)})`;
}

/**
 * Returns what is wrong with an event, or `undefined` when every form can carry it.
 *
 * @example
 * ```ts
 * import { eventProblem } from "./check.ts";
 * if (eventProblem({ pid: 1, op: "w", addr: 0x1000, len: 1 }) !== undefined) throw new Error();
 * if (eventProblem({ pid: 0, op: "mark", label: "two words" }) === undefined) throw new Error();
 * ```
 */
export function eventProblem(ev: Event): string | undefined {
  if (!(OPS as readonly string[]).includes(ev.op)) return `Unknown op '${String(ev.op)}'`;
  if (SYSTEM_OPS.has(ev.op)) {
    if (ev.pid !== 0) return `System op '${ev.op}' has pid 0 ('-'), found ${ev.pid}`;
  } else {
    const p = pidProblem(ev.pid, "PID");
    if (p) return p;
  }
  const all = (...ps: (string | undefined)[]) => ps.find((p) => p !== undefined);
  switch (ev.op) {
    case "mmap":
      return all(
        addrProblem(ev.addr, "ADDR"),
        numProblem(ev.len, "LEN"),
        protProblem(ev.prot),
        checkFlagBits(ev.flags),
        ev.object === undefined ? undefined : checkName(ev.object, "object"),
        ev.offset === undefined
          ? undefined
          : ev.object === undefined
          ? "An mmap OFFSET needs an OBJECT"
          : numProblem(ev.offset, "OFFSET") ?? mmapOffsetProblem(ev.offset),
      );
    case "munmap":
    case "mlock":
    case "munlock":
    case "msync":
      return all(addrProblem(ev.addr, "ADDR"), numProblem(ev.len, "LEN"));
    case "r":
    case "w":
    case "x":
      return all(addrProblem(ev.addr, "ADDR"), numProblem(ev.len, "LEN")) ??
        accessLenProblem(ev.len);
    case "mremap":
      return all(
        addrProblem(ev.addr, "OLDADDR"),
        numProblem(ev.len, "OLDLEN"),
        addrProblem(ev.newAddr, "NEWADDR"),
        numProblem(ev.newLen, "NEWLEN"),
      );
    case "mprotect":
      return all(
        addrProblem(ev.addr, "ADDR"),
        numProblem(ev.len, "LEN"),
        protProblem(ev.prot),
      );
    case "madvise":
      return all(
        addrProblem(ev.addr, "ADDR"),
        numProblem(ev.len, "LEN"),
        ADVICES.includes(ev.advice) ? undefined : `Unknown advice '${ev.advice}'`,
      );
    case "fork":
    case "clone":
      return pidProblem(ev.child, "CHILDPID");
    case "exec":
    case "exit":
      return undefined;
    case "create":
    case "truncate":
      return all(checkName(ev.object, "object"), numProblem(ev.size, "SIZE"));
    case "read":
    case "write":
      return all(
        checkName(ev.object, "object"),
        numProblem(ev.offset, "OFFSET"),
        numProblem(ev.len, "LEN"),
      ) ?? rwProblem(ev.offset, ev.len)?.message;
    case "unlink":
    case "fsync":
      return checkName(ev.object, "object");
    case "swapon":
      return all(
        checkName(ev.name, "name"),
        numProblem(ev.size, "SIZE") ?? swaponSizeProblem(ev.size),
        ev.prio === undefined || Number.isSafeInteger(ev.prio) ? undefined : `Bad prio ${ev.prio}`,
      );
    case "swapoff":
      return checkName(ev.name, "name");
    case "reclaim":
      return numProblem(ev.pages, "PAGES");
    case "mark":
      return checkName(ev.label, "label");
  }
}
