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
