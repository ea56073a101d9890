/**
 * Swap devices: `swapon` and `swapoff`, which brings every page back (objects' pages, mapped or
 * not, then every swap PTE of every address space: `try_to_unuse`).
 *
 * System-call entry points: they take the decoded arguments of an event (`machine.ts` decodes
 * them) and work through the primitives of `core/mm/`.
 *
 * @module
 */
import type { Kernel } from "../mm/kernel.ts";
import { tryToUnuse } from "../mm/unuse.ts";
import { PAGE_SIZE } from "../../uapi/event.ts";

/**
 * swapon of a device `name` of `size` bytes with priority `prio`, or the next default (-2, -3,
 * ...) when undefined.
 */
export function swapon(k: Kernel, name: string, size: number, prio: number | undefined): void {
  const pages = Math.floor(size / PAGE_SIZE);
  if (k.swap.find(name) !== undefined) {
    k.report.warn(`swapon ${name}: already enabled`);
    return;
  }
  if (pages <= 0) {
    k.report.warn(`swapon ${name}: size ${size} holds no page`);
    return;
  }
  if (k.swap.add(name, pages, prio ?? k.swap.peekDefaultPrio()) === undefined) {
    k.report.warn(
      `swapon ${name}: no room for ${pages} more slots (at most 2^31 in all: 8 TiB of swap)`,
    );
    return;
  }
  if (prio === undefined) k.swap.defaultPrio();
  k.swap.pending = 0;
}

/**
 * swapoff of device `name`: every page on it comes back. When memory runs out meanwhile, or some
 * slots stay in use, the device stays enabled (a warning).
 */
export function swapoff(k: Kernel, name: string): void {
  const d = k.swap.find(name);
  if (d === undefined) {
    k.report.warn(`swapoff ${name}: no such swap device`);
    return;
  }
  d.removing = true;
  k.ioLast = -2;
  if (!tryToUnuse(k, d)) {
    d.removing = false;
    k.report.oom(`swapoff ${d.name}`);
    return;
  }
  if (d.used > 0) {
    k.report.warn(`swapoff ${d.name}: ${d.used} slots still in use`);
    d.removing = false;
    return;
  }
  k.swap.remove(d);
}
