/**
 * {@linkcode AreaMap}: the importers' own record of what a trace has mapped in one address space,
 * in page numbers. It is how an importer knows that an operation touches memory the trace never
 * mapped (the program image, the stack, areas from before the trace began), which pages a
 * synthesized access may touch, and how long a System V segment attached at an address is.
 *
 * @module
 */
import { type MmapEvent, PAGE_SIZE } from "../event.ts";

/** One mapped range `[start, end)` in pages, with what the trace said about it. */
export interface Area {
  /** First page. */
  start: number;
  /** Page after the last. */
  end: number;
  /** `Prot` bits. */
  prot: number;
  /** `MapFlag` bits. */
  flags: number;
  /** Backing object, if any. */
  object?: string;
  /** Offset into the object, in pages, of `start`. */
  pgoff: number;
}

/** A range of pages `[start, end)`. */
export interface PageRange {
  /** First page. */
  start: number;
  /** Page after the last. */
  end: number;
}

/**
 * The areas of one address space, sorted and non-overlapping. Operations mirror the kernel's
 * (a mapping replaces what was there, partial unmaps split), without merging, which is the
 * simulator's business.
 *
 * @example
 * ```ts
 * import { AreaMap } from "./area_map.ts";
 * const m = new AreaMap();
 * m.map({ start: 10, end: 20, prot: 3, flags: 5, pgoff: 0 });
 * m.unmap(12, 14);
 * if (m.covered(10, 20).length !== 2 || m.size() !== 2) throw new Error("expected a split");
 * ```
 */
export class AreaMap {
  /** The areas, sorted by start. */
  areas: Area[] = [];

  /** A deep copy (fork). */
  clone(): AreaMap {
    const c = new AreaMap();
    c.areas = this.areas.map((a) => ({ ...a }));
    return c;
  }

  /** Number of areas. */
  size(): number {
    return this.areas.length;
  }

  /** Index of the first area whose end is above `page`. */
  #first(page: number): number {
    let lo = 0;
    let hi = this.areas.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.areas[mid]!.end <= page) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Cuts areas so that none straddles `page`. */
  #cut(page: number): void {
    const i = this.#first(page);
    const a = this.areas[i];
    if (a && a.start < page && page < a.end) {
      const right: Area = { ...a, start: page, pgoff: a.pgoff + (page - a.start) };
      a.end = page;
      this.areas.splice(i + 1, 0, right);
    }
  }

  /** Removes `[start, end)` and returns the removed pieces (in order). */
  unmap(start: number, end: number): Area[] {
    if (end <= start) return [];
    this.#cut(start);
    this.#cut(end);
    const i = this.#first(start);
    let j = i;
    while (j < this.areas.length && this.areas[j]!.start < end) j++;
    return this.areas.splice(i, j - i);
  }

  /** Maps `area`, replacing whatever overlapped it. */
  map(area: Area): void {
    this.unmap(area.start, area.end);
    const i = this.#first(area.start);
    this.areas.splice(i, 0, { ...area });
  }

  /** The parts of `[start, end)` that are mapped, as ranges (in order). */
  covered(start: number, end: number): PageRange[] {
    const out: PageRange[] = [];
    for (let i = this.#first(start); i < this.areas.length; i++) {
      const a = this.areas[i]!;
      if (a.start >= end) break;
      const s = Math.max(a.start, start);
      const e = Math.min(a.end, end);
      const last = out[out.length - 1];
      if (last && last.end === s) last.end = e;
      else out.push({ start: s, end: e });
    }
    return out;
  }

  /** The area containing `page`, if any. */
  find(page: number): Area | undefined {
    const a = this.areas[this.#first(page)];
    return a && a.start <= page ? a : undefined;
  }

  /**
   * Sets the protection of the mapped parts of `[start, end)`; returns the parts that had no
   * access before (`PROT_NONE`) and now have some.
   */
  protect(start: number, end: number, prot: number): PageRange[] {
    this.#cut(start);
    this.#cut(end);
    const opened: PageRange[] = [];
    for (let i = this.#first(start); i < this.areas.length; i++) {
      const a = this.areas[i]!;
      if (a.start >= end) break;
      if (a.prot === 0 && prot !== 0) opened.push({ start: a.start, end: a.end });
      a.prot = prot;
    }
    return opened;
  }

  /**
   * Moves and resizes `[oldStart, oldStart + oldPages)` to `newStart` with `newPages` pages, as
   * mremap does: the pieces keep their attributes; growth extends the last piece. Returns false
   * (and changes nothing) if the old range is not entirely mapped.
   */
  remap(oldStart: number, oldPages: number, newStart: number, newPages: number): boolean {
    const cov = this.covered(oldStart, oldStart + oldPages);
    if (cov.length !== 1 || cov[0]!.start !== oldStart || cov[0]!.end !== oldStart + oldPages) {
      return false;
    }
    const pieces = this.unmap(oldStart, oldStart + Math.max(oldPages, 0));
    const keep = Math.min(oldPages, newPages);
    const moved: Area[] = [];
    for (const p of pieces) {
      const s = p.start - oldStart;
      const e = Math.min(p.end - oldStart, keep);
      if (e <= s) continue;
      moved.push({ ...p, start: newStart + s, end: newStart + e });
    }
    const tail = moved[moved.length - 1];
    if (tail && newPages > oldPages) tail.end = newStart + newPages;
    this.unmap(newStart, newStart + newPages);
    for (const m of moved) this.map(m);
    return true;
  }
}

/** A page range as an address and a length in bytes. */
export function rangeOf(r: PageRange): { addr: number; len: number } {
  return { addr: r.start * PAGE_SIZE, len: (r.end - r.start) * PAGE_SIZE };
}

/**
 * The `mmap` event that maps `a` in process `pid`.
 *
 * @example
 * ```ts
 * import { eventOfArea } from "./area_map.ts";
 * const ev = eventOfArea(7, { start: 16, end: 18, prot: 1, flags: 1, object: "file:/x", pgoff: 2 });
 * if (ev.addr !== 65536 || ev.len !== 8192 || ev.offset !== 8192) throw new Error("event");
 * ```
 */
export function eventOfArea(pid: number, a: Area): MmapEvent {
  const ev: MmapEvent = { pid, op: "mmap", ...rangeOf(a), prot: a.prot, flags: a.flags };
  if (a.object !== undefined) {
    ev.object = a.object;
    ev.offset = a.pgoff * PAGE_SIZE;
  }
  return ev;
}
