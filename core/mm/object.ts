/**
 * Backing objects: regular files, tmpfs files, System V segments and the anonymous inode every
 * shared anonymous mapping gets (Eric W. Biederman on linux-kernel, January 1998: "a single
 * `inode' per anonymous shared mapping").
 *
 * An object has a page cache (index → frame), and, when it is swap-backed, a swap map
 * (index → swap slot) through which a page on swap is found by (object, index) even when nothing
 * maps it. A disk file keeps its on-disk contents as stamps (index → stamp). `mappings` is the
 * object's `i_mmap`: the areas that map it, in the order they were created.
 *
 * @module
 */
import { PageMap } from "./page_map.ts";
import { PageStamps } from "./page_stamps.ts";
import type { Vma } from "./vma.ts";

/** What backs an object: a disk file, tmpfs, System V shm, or a shared anonymous mapping. */
export type ObjectKind = "file" | "tmpfs" | "shm" | "anon";

/** Areas beyond which a `Mappings` keeps a `Set` of them too (below, a scan is cheaper). */
const LONG = 16;

/**
 * An object's `i_mmap`: the areas mapping it in the order they were linked, in an array (`list`)
 * that the rmap walks of page-cache pages go through for every reclaimed page (an indexed loop
 * over an array costs less than a `Set`'s iterator). A long list keeps a `Set` of its areas too,
 * for `has`; a short one is scanned.
 *
 * @example
 * ```ts
 * import { Mappings } from "./object.ts";
 * const m = new Mappings<string>();
 * m.add("a");
 * m.add("b");
 * m.add("a"); // already there: keeps its place
 * m.delete("a");
 * m.add("a");
 * if (m.list.join() !== "b,a" || m.size !== 2) throw new Error();
 * ```
 */
export class Mappings<T = Vma> {
  /** The areas, oldest link first. Read only: change it through `add` and `delete`. */
  readonly list: T[] = [];
  #set: Set<T> | null = null;

  /** Number of areas. */
  get size(): number {
    return this.list.length;
  }

  /** True when `v` is linked. */
  has(v: T): boolean {
    return this.#set !== null ? this.#set.has(v) : this.list.includes(v);
  }

  /** Links `v` last (nothing happens when it is linked already). */
  add(v: T): this {
    if (this.has(v)) return this;
    this.list.push(v);
    if (this.#set !== null) this.#set.add(v);
    else if (this.list.length > LONG) this.#set = new Set(this.list);
    return this;
  }

  /** Unlinks `v`; true when it was linked. */
  delete(v: T): boolean {
    if (this.#set !== null && !this.#set.delete(v)) return false;
    // From the end: the area linked last (a child that forked and exits) goes first most often.
    const list = this.list, i = list.lastIndexOf(v);
    if (i < 0) return false;
    if (i === list.length - 1) list.pop();
    else list.splice(i, 1);
    if (this.#set !== null && list.length <= LONG / 2) this.#set = null;
    return true;
  }

  /**
   * The areas in order. Unlike a `Set`'s iterator, this one must not outlive a change (it
   * iterates `list`): callers do not link or unlink areas while they walk.
   */
  [Symbol.iterator](): IterableIterator<T> {
    return this.list[Symbol.iterator]();
  }
}

/** A file or shared-memory object. */
export class VmObject {
  /** Unique id (creation order); stored in `FrameTable.owner` of its page-cache pages. */
  readonly id: number;
  /** What backs it. */
  readonly kind: ObjectKind;
  /** The name (`file:/etc/passwd`), or `anon:N` for a shared anonymous mapping's inode. */
  readonly name: string;
  /** Pages live in swap rather than in a file. */
  readonly swapBacked: boolean;
  /** Size in bytes; `Infinity` for a file used without `create` (it grows as it is used). */
  size: number;
  /** Page cache: page index → frame. */
  readonly pages: PageMap = new PageMap();
  /** Swap map of a swap-backed object: page index → swap slot. */
  readonly swap: PageMap = new PageMap();
  /** On-disk contents of a file: page index → stamp (absent: 0), as many pages as written. */
  readonly disk: PageStamps = new PageStamps();
  /** Shadows of a file's evicted pages: page index → shadow (`workingset.ts`; memcg only). */
  readonly shadow: Map<number, number> = new Map();
  /** `i_mmap`: every area mapping the object. */
  readonly mappings: Mappings = new Mappings();
  /** Still reachable by its name (false after `unlink`, and always for anonymous inodes). */
  named: boolean;
  /** The strategy's per-object data, if it keeps any. */
  rmap: unknown = null;
  /**
   * A disk file's readahead state (Linux's `file_ra_state`, `page_cache.ts`): where its last
   * readahead window started, its size (0: none yet), how many of its pages, from its end, the
   * marker leaves for the next window, and its folio order.
   */
  raStart = 0;
  /** See {@linkcode VmObject.raStart}. */
  raSize = 0;
  /** See {@linkcode VmObject.raStart}. */
  raAsync = 0;
  /** See {@linkcode VmObject.raStart}. */
  raOrder = 0;
  /**
   * Where the last readahead window's last folio ended: the next window starts there (a large
   * folio may reach past the window's planned end).
   */
  raEnd = 0;
  /**
   * Where the last read(2) of the file ended, in bytes (`file_ra_state.prev_pos`; -1: none yet):
   * a read that follows it is sequential, and a folio it ended in is not marked accessed again.
   */
  raPrevPos: number = -1;

  /** Makes an empty object. */
  constructor(id: number, kind: ObjectKind, name: string, size: number) {
    this.id = id;
    this.kind = kind;
    this.name = name;
    this.swapBacked = kind !== "file";
    this.size = size;
    this.named = kind !== "anon";
  }

  /** True when nothing keeps the object alive: no name and no mapping. */
  get orphan(): boolean {
    return !this.named && this.mappings.size === 0;
  }

  /** The kind of object a name designates (`file:`, `tmpfs:`, `shm:` prefix), or undefined. */
  static kindOf(name: string): ObjectKind | undefined {
    if (name.startsWith("file:")) return "file";
    if (name.startsWith("tmpfs:")) return "tmpfs";
    if (name.startsWith("shm:")) return "shm";
    return undefined;
  }
}
