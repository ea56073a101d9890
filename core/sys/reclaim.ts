/**
 * `reclaim PAGES`: memory pressure from outside the trace's processes (as a write to a cgroup's
 * `memory.reclaim`): the kernel reclaims up to that many frames.
 *
 * A system-call entry point: it takes the decoded arguments of an event (`machine.ts` decodes
 * them) and works through the primitives of `core/mm/`.
 *
 * @module
 */
import type { Kernel } from "../mm/kernel.ts";
import { reclaim } from "../mm/reclaim.ts";

/** Reclaims up to `pages` frames (none for a negative count). */
export function memoryReclaim(k: Kernel, pages: number): void {
  reclaim(k, Math.max(0, pages));
}
