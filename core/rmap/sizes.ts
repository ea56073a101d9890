/**
 * The byte-size model behind `rmap_meta_bytes_peak`: the size of every reverse-mapping structure,
 * in one place.
 *
 * Sizes are those of an x86-64 build (8-byte pointers) without lock debugging. Structures Linux
 * still has are taken from Linux 6.6 (`struct anon_vma`, `struct anon_vma_chain`, `struct inode`,
 * `struct dentry`, `struct address_space`); structures of designs Linux dropped or never merged are
 * laid out as their authors described them, with 64-bit pointers, so that every strategy is costed
 * on the same machine. Slab rounding is ignored: a structure costs its `sizeof`.
 *
 * @example
 * ```ts
 * import { SIZES } from "./sizes.ts";
 * if (SIZES.anonVma + 2 * SIZES.anonVmaChain !== 224) throw new Error("sizes changed");
 * ```
 *
 * @module
 */

/** Bytes per structure. */
export const SIZES = {
  /**
   * `struct anon_vma` (Linux 6.6): root 8, rw_semaphore 40, refcount 4 (+4 padding),
   * num_children 8, num_active_vmas 8, parent 8, rb_root_cached 16.
   */
  anonVma: 96,
  /**
   * `struct anon_vma_chain` (Linux 6.6): vma 8, anon_vma 8, same_vma list 16, rb_node 24,
   * rb_subtree_last 8.
   */
  anonVmaChain: 64,
  /**
   * Linux 2.6.7's `struct anon_vma` (Arcangeli's objrmap): a spinlock (4, +4 padding) and the list
   * head of the areas (16).
   */
  anonVmaListOnly: 24,
  /**
   * One `struct pte_chain` block of Linux 2.5 (van Riel, after Hemment's pmaps): one cache line
   * holding `next_and_idx` and 7 PTE addresses. A page mapped once uses no block (the "direct"
   * PTE pointer lives in `struct page`).
   */
  pteChainBlock: 64,
  /** PTE addresses per {@linkcode SIZES.pteChainBlock}. */
  pteChainPerBlock: 7,
  /**
   * Hugh Dickins' `struct anonmm` (2.6.6-mm): count 4 (+4 padding), head 8, list 16, mm 8.
   */
  anonmm: 40,
  /** `struct inode` (Linux 6.6, x86-64), for an anonymous inode. */
  inode: 600,
  /** `struct dentry` (Linux 6.6, x86-64), the anonymous inode's dummy dentry. */
  dentry: 192,
  /**
   * One slot of Hemment's `anon_inode_info` array: a page pointer and a swap entry (Hemment: "a
   * pointer and an unsigned long for each page").
   */
  anonInodeSlot: 16,
  /** `struct address_space` (Linux 6.6, x86-64), one per object of Lokier's tree. */
  addressSpace: 200,
  /** A list or tree link of an area on an object's list (`list_head`). */
  listLink: 16,
} as const;
