/**
 * Page-table entry bits. A PTE is a flag byte (`PageTables.flags`) plus a number
 * (`PageTables.num`): the frame of a present entry, or the swap slot of a swap entry. All zero is
 * "none" (`pte_none`).
 *
 * `NOACCESS` and `NX` carry the area's protection into the entry so that a TLB hit can be
 * checked without looking at the area (x86: PROT_NONE entries, the NX bit).
 *
 * @module
 */
import { Prot } from "../../uapi/event.ts";
import type { Vma } from "./vma.ts";

const PROT_EXEC = Prot.exec;

/** The entry maps a frame (`_PAGE_PRESENT`). */
export const PTE_PRESENT = 1;
/** Writable (`_PAGE_RW`). */
export const PTE_WRITE = 2;
/** Accessed since last cleared (`_PAGE_ACCESSED`), set by the hardware. */
export const PTE_ACCESSED = 4;
/** Written since last cleared (`_PAGE_DIRTY`), set by the hardware. */
export const PTE_DIRTY = 8;
/** Not present; `num` is a swap slot. */
export const PTE_SWAP = 16;
/** Present but inaccessible (`PROT_NONE`). */
export const PTE_NOACCESS = 32;
/** No instruction fetch (`_PAGE_NX`). */
export const PTE_NX = 64;

/** Short names of the PTE bits the machine tests everywhere. */
export const P = PTE_PRESENT, W = PTE_WRITE, A = PTE_ACCESSED, D = PTE_DIRTY;

/** PTE protection bits an area implies beyond present and writable (`vm_page_prot`). */
export function protBits(vma: Vma): number {
  return ((vma.prot & PROT_EXEC) ? 0 : PTE_NX) | (vma.prot === 0 ? PTE_NOACCESS : 0);
}

/** True when a shared writable `file:` mapping must catch the first write (dirty tracking). */
export function writeNotify(vma: Vma): boolean {
  return vma.shared && vma.obj !== null && vma.obj.kind === "file";
}

/** PTE bits for mapping a page-cache page into `vma` without a write. */
export function cacheBits(vma: Vma): number {
  const w = vma.shared && vma.writable && !writeNotify(vma) ? W : 0;
  return P | w | protBits(vma);
}
