/**
 * Objects and their lifetime: the object a name designates (made on first use, as a file used
 * before `create` is), the anonymous inode of a shared anonymous mapping, and freeing an object
 * nothing keeps alive (no name, no mapping) with its cached pages and swap entries (`iput` of a
 * last reference).
 *
 * Internal to the machine: functions over its state (`Kernel`).
 *
 * @module
 */
import type { Kernel } from "./kernel.ts";
import { VmObject } from "./object.ts";
import { slotPut } from "./release.ts";
import { waitOnWriteback } from "./writeback.ts";

/** The named object, created implicitly (unbounded) when used before `create`. */
export function objectNamed(k: Kernel, name: string): VmObject {
  let o = k.objects.get(name);
  if (o === undefined) o = createObject(k, name, Infinity);
  return o;
}

/** A new object `name` of `size` bytes, its kind from the name's prefix (`file:` by default). */
export function createObject(k: Kernel, name: string, size: number): VmObject {
  const o = new VmObject(k.nextObj++, VmObject.kindOf(name) ?? "file", name, size);
  k.objects.set(name, o);
  k.addObject(o);
  return o;
}

/** Frees an object nothing keeps alive: its cached pages and swap entries. */
export function maybeFreeObject(k: Kernel, obj: VmObject): void {
  if (!obj.orphan) return;
  obj.pages.forEach((fr) => {
    // Its pages are dropped once the flusher's writes of them are done (truncate_inode_pages).
    waitOnWriteback(k, fr);
    k.frames.release(fr);
  });
  obj.pages.clear();
  obj.swap.forEach((slot) => slotPut(k, slot));
  obj.swap.clear();
  k.removeObject(obj);
}

/** The anonymous inode of a new shared anonymous mapping of `size` bytes (unnamed: `anon:ID`). */
export function createAnonObject(k: Kernel, size: number): VmObject {
  const o = new VmObject(k.nextObj++, "anon", `anon:${k.nextObj - 1}`, size);
  k.addObject(o);
  return o;
}
