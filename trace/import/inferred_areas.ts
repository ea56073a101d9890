/**
 * Areas inferred from the addresses a trace touches, for access traces that record no mappings
 * (Valgrind lackey without a maps snapshot, ChampSim) or that miss one (perf): the first access
 * to a page outside every known area maps the aligned block of `areaSize` bytes around it,
 * clipped to the gap between known areas, so the replay meets no access to unmapped memory.
 *
 * @module
 */
import { MapFlag } from "../event.ts";
import type { Area, AreaMap } from "./area_map.ts";

/** Protection of an inferred area: anything may happen there. */
const RWX = 7;
/** Flags of an inferred area. */
export const INFERRED_FLAGS: number = MapFlag.private | MapFlag.anon;
/** Pages per block of the covered-block cache (64 KiB blocks). */
const BLOCK_PAGES = 16;
/** Blocks cached: 1 GiB of address space, for traces that range widely (SPEC's mcf). */
const BLOCK_CACHE_SIZE = 16384;
const BLOCK_CACHE_MASK = BLOCK_CACHE_SIZE - 1;

/**
 * The area to infer around `page`, which no area of `areas` holds: the aligned block of
 * `blockPages` pages around it, clipped to the gap between the areas on either side,
 * `rwx private,anon`. It is not mapped into `areas`.
 *
 * @example
 * ```ts
 * import { AreaMap } from "./area_map.ts";
 * import { inferArea } from "./inferred_areas.ts";
 * const m = new AreaMap();
 * m.map({ start: 0x100, end: 0x104, prot: 3, flags: 5, pgoff: 0 });
 * const a = inferArea(m, 0x105, 256); // the 1 MiB block 0x100..0x200, minus the area below
 * if (a.start !== 0x104 || a.end !== 0x200) throw new Error(`${a.start} ${a.end}`);
 * ```
 */
export function inferArea(areas: AreaMap, page: number, blockPages: number): Area {
  let start = Math.floor(page / blockPages) * blockPages;
  let end = start + blockPages;
  for (const r of areas.covered(start, end)) {
    if (r.end <= page) start = Math.max(start, r.end);
    else if (r.start > page) {
      end = Math.min(end, r.start);
      break;
    }
  }
  return { start, end, prot: RWX, flags: INFERRED_FLAGS, pgoff: 0 };
}

/** Options of {@linkcode AreaCover}. */
export interface AreaCoverOptions {
  /** Size in bytes of the blocks inferred around untracked addresses (default 1 MiB). */
  areaSize?: number;
  /** Called with each area inferred, after it is mapped into the areas: emit its `mmap`. */
  onInfer: (area: Area) => void;
  /**
   * Called when a known area forbids the access (`need`, a `Prot` bit); it may widen the area's
   * protection (then call {@linkcode AreaCover.invalidate}). Default: nothing.
   */
  onForbidden?: (area: Area, need: number) => void;
}

/**
 * Keeps every accessed page inside an area of `areas`, inferring areas where none is known
 * ({@linkcode inferArea}). A small direct-mapped cache remembers 64 KiB blocks that areas cover
 * entirely with the protection they share, so that the common access costs a few typed-array
 * reads; call {@linkcode AreaCover.invalidate} whenever `areas` changes in another way.
 *
 * @example
 * ```ts
 * import { AreaMap } from "./area_map.ts";
 * import { AreaCover } from "./inferred_areas.ts";
 * const inferred: number[] = [];
 * const cover = new AreaCover(new AreaMap(), { onInfer: (a) => inferred.push(a.start) });
 * cover.ensure(0x7f001, 0x7f001, 2); // a store to page 0x7f001
 * cover.ensure(0x7f002, 0x7f003, 1); // a load in the same 1 MiB block: nothing new
 * if (inferred.join() !== String(0x7f000)) throw new Error(inferred.join());
 * ```
 */
export class AreaCover {
  /** The areas known so far, inferred ones included. */
  readonly areas: AreaMap;
  #blockPages: number;
  #onInfer: (area: Area) => void;
  #onForbidden: (area: Area, need: number) => void;
  #tags = new Float64Array(BLOCK_CACHE_SIZE).fill(-1);
  #prots = new Uint8Array(BLOCK_CACHE_SIZE);

  /** Covers accesses with the areas of `areas`; see {@linkcode AreaCoverOptions}. */
  constructor(areas: AreaMap, opts: AreaCoverOptions) {
    this.areas = areas;
    this.#blockPages = Math.max(1, Math.ceil((opts.areaSize ?? 1 << 20) / 4096));
    this.#onInfer = opts.onInfer;
    this.#onForbidden = opts.onForbidden ?? (() => {});
  }

  /** Makes sure pages `page` and `last` lie in areas that allow `need` (a `Prot` bit). */
  ensure(page: number, last: number, need: number): void {
    const blk = Math.floor(page / BLOCK_PAGES);
    const lastBlk = Math.floor(last / BLOCK_PAGES);
    const tags = this.#tags;
    const prots = this.#prots;
    const bi = blk & BLOCK_CACHE_MASK;
    const li = lastBlk & BLOCK_CACHE_MASK;
    if (
      tags[bi] === blk && (prots[bi]! & need) !== 0 &&
      tags[li] === lastBlk && (prots[li]! & need) !== 0
    ) return;
    this.#cover(page, need);
    if (last !== page) this.#cover(last, need);
    this.#markBlock(blk);
    if (lastBlk !== blk) this.#markBlock(lastBlk);
  }

  /** Forgets the cached blocks (after `areas` changed other than through this cover). */
  invalidate(): void {
    this.#tags.fill(-1);
  }

  /** Makes sure `page` is in an area, inferring one if needed. */
  #cover(page: number, need: number): void {
    const found = this.areas.find(page);
    if (found) {
      if ((found.prot & need) === 0) this.#onForbidden(found, need);
      return;
    }
    const area = inferArea(this.areas, page, this.#blockPages);
    this.areas.map(area);
    this.#onInfer(area);
  }

  /** Caches `blk` as covered if areas cover all of it (else pages are checked one by one). */
  #markBlock(blk: number): void {
    const s = blk * BLOCK_PAGES;
    const e = s + BLOCK_PAGES;
    let prot = RWX;
    for (let p = s; p < e;) {
      const a = this.areas.find(p);
      if (!a) return; // a gap in the block
      prot &= a.prot;
      p = a.end;
    }
    this.#tags[blk & BLOCK_CACHE_MASK] = blk;
    this.#prots[blk & BLOCK_CACHE_MASK] = prot;
  }
}
