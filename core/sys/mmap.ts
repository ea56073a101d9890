/**
 * `mmap` and `munmap`.
 *
 * System-call entry points: they take the decoded arguments of an event (`machine.ts` decodes
 * them) and work through the primitives of `core/mm/`.
 *
 * @module
 */
import { tryMerge, unmapRange } from "../mm/areas.ts";
import type { Kernel } from "../mm/kernel.ts";
import type { Mm } from "../mm/mm.ts";
import type { VmObject } from "../mm/object.ts";
import { createAnonObject, objectNamed } from "../mm/objects.ts";
import { populate } from "../mm/populate.ts";
import { hex } from "../mm/report.ts";
import { Vma } from "../mm/vma.ts";
import { MapFlag, PAGE_SIZE } from "../../uapi/event.ts";

/**
 * mmap of `len` bytes at virtual page `start` with protection `prot` and `MapFlag` bits `flags`:
 * of `object` from byte `offset`, or anonymous memory when `object` is null. Replaces whatever was
 * mapped there (MAP_FIXED), merges with its neighbours, populates when asked.
 */
export function mmap(
  k: Kernel,
  mm: Mm,
  start: number,
  len: number,
  prot: number,
  flags: number,
  object: string | null,
  offset: number,
): void {
  const pages = Math.ceil(len / PAGE_SIZE);
  if (pages <= 0) {
    k.report.warn(`mmap ${hex(start)}: length ${len} maps nothing`);
    return;
  }
  let obj: VmObject | null = null;
  let pgoff = start;
  if (object !== null) {
    obj = objectNamed(k, object);
    pgoff = Math.floor(offset / PAGE_SIZE);
  } else if (flags & MapFlag.shared) {
    obj = createAnonObject(k, pages * PAGE_SIZE);
    pgoff = 0;
  }
  unmapRange(k, mm, start, start + pages);
  const vflags = flags &
    (MapFlag.shared | MapFlag.private | MapFlag.anon | MapFlag.locked | MapFlag.growsdown);
  const vma = new Vma(k.nextVma++, mm, start, start + pages, prot, vflags, obj, pgoff);
  mm.insert(vma);
  obj?.mappings.add(vma);
  k.strategy.vmaCreate(vma);
  tryMerge(k, vma);
  if (flags & (MapFlag.populate | MapFlag.locked)) populate(k, mm, start, start + pages);
}

/** munmap of `len` bytes at virtual page `start`; a warning when nothing was mapped there. */
export function munmap(k: Kernel, mm: Mm, start: number, len: number): void {
  const pages = Math.ceil(len / PAGE_SIZE);
  if (pages === 0 || !unmapRange(k, mm, start, start + pages)) {
    k.report.warn(`munmap ${hex(start)}+${len}: nothing mapped there`);
  }
}
