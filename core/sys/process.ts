/**
 * Processes: `fork`, `clone`, `exec` and `exit`.
 *
 * System-call entry points: they take the decoded arguments of an event (`machine.ts` decodes
 * them) and work through the primitives of `core/mm/`.
 *
 * @module
 */
import { dropMm, dupMm, mmOf } from "../mm/address_space.ts";
import type { Kernel } from "../mm/kernel.ts";
import type { Mm } from "../mm/mm.ts";

/** fork: process `child` gets a copy of `mm`; a warning when `child` is alive already. */
export function fork(k: Kernel, mm: Mm, child: number): void {
  if (k.procs.has(child)) k.report.warn(`fork: child ${child} is already alive`);
  else k.procs.set(child, dupMm(k, mm));
}

/** clone: thread `child` shares `mm`; a warning when `child` is alive already. */
export function clone(k: Kernel, mm: Mm, child: number): void {
  if (k.procs.has(child)) k.report.warn(`clone: child ${child} is already alive`);
  else {
    mm.users++;
    k.procs.set(child, mm);
  }
}

/** exec by `pid`, whose address space is `mm`: a new, empty one replaces it. */
export function exec(k: Kernel, pid: number, mm: Mm): void {
  k.forgetPid(pid);
  dropMm(k, mm);
  k.lastPid = -1;
  mmOf(k, pid);
}

/** exit of `pid`: its address space loses a user; a warning when `pid` is not alive. */
export function exit(k: Kernel, pid: number): void {
  const mm = k.procs.get(pid);
  if (mm === undefined) k.report.warn("exit: no such process");
  else {
    k.forgetPid(pid);
    dropMm(k, mm);
  }
}
