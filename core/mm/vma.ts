/**
 * Virtual memory areas (Linux's `vm_area_struct`): a page range of one address space with one
 * protection, one set of flags and one backing object.
 *
 * @module
 */
import type { Mm } from "./mm.ts";
import type { VmObject } from "./object.ts";
import { MapFlag, Prot } from "../../uapi/event.ts";

const SHARED = MapFlag.shared, LOCKED = MapFlag.locked, WRITE = Prot.write;

/** One area: virtual pages `[start, end)` of `mm`. */
export class Vma {
  /** Unique id (creation order). */
  readonly id: number;
  /** The address space it belongs to. */
  readonly mm: Mm;
  /** First virtual page. */
  start: number;
  /** One past the last virtual page. */
  end: number;
  /** `PROT_*` bits. */
  prot: number;
  /** `MAP_*` bits (`MAP_SHARED` or `MAP_PRIVATE`, `MAP_ANON`, `MAP_LOCKED` for VM_LOCKED). */
  flags: number;
  /** Backing object (a shared anonymous mapping's inode too), or null for private anonymous. */
  obj: VmObject | null;
  /**
   * Page offset of `start` (`vm_pgoff`): the page index in `obj` for object mappings; for private
   * anonymous memory, the virtual page the area had when created, kept across mremap as Linux does.
   */
  pgoff: number;
  /** The area may hold anonymous pages (Linux: `vma->anon_vma != NULL`, via anon_vma_prepare). */
  anon = false;
  /** The strategy's per-area data. */
  rmap: unknown = null;
  /**
   * Swap readahead state (Linux's `swap_readahead_info`, `swap_in.ts`): the page of
   * the last swap fault or swap-cache hit, the window it read, and the readahead hits since. All
   * 0 until the first swap fault, which reads as 4 hits.
   */
  raPage = 0;
  /** The swap readahead window of the last swap fault, pages (see `raPage`). */
  raWin = 0;
  /** Readahead hits since the last swap fault (see `raPage`). */
  raHits = 0;

  /** Makes an area; it is not yet linked into `mm`. */
  constructor(
    id: number,
    mm: Mm,
    start: number,
    end: number,
    prot: number,
    flags: number,
    obj: VmObject | null,
    pgoff: number,
  ) {
    this.id = id;
    this.mm = mm;
    this.start = start;
    this.end = end;
    this.prot = prot;
    this.flags = flags;
    this.obj = obj;
    this.pgoff = pgoff;
  }

  /** Takes `from`'s swap readahead state, as `vm_area_dup` copies it (fork, split, mremap). */
  inheritRa(from: Vma): void {
    this.raPage = from.raPage;
    this.raWin = from.raWin;
    this.raHits = from.raHits;
  }

  /** Number of pages. */
  get pages(): number {
    return this.end - this.start;
  }

  /** A shared mapping (`MAP_SHARED`). */
  get shared(): boolean {
    return (this.flags & SHARED) !== 0;
  }

  /** Locked in memory (`VM_LOCKED`). */
  get locked(): boolean {
    return (this.flags & LOCKED) !== 0;
  }

  /** Writable. */
  get writable(): boolean {
    return (this.prot & WRITE) !== 0;
  }

  /** The page index `linear_page_index()` gives virtual page `vpage` of this area. */
  linearIndex(vpage: number): number {
    return this.pgoff + (vpage - this.start);
  }

  /** The virtual page at which this area would map page index `index` (may lie outside). */
  addressOf(index: number): number {
    return this.start + (index - this.pgoff);
  }
}
