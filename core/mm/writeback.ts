/**
 * Writeback of a dirty file page (msync, fsync): written to its file, then its PTEs cleaned and,
 * in write-notify mappings, write-protected again (`page_mkclean`).
 *
 * Internal to the machine: a function over its state (`Kernel`).
 *
 * @module
 */
import { C } from "../counters.ts";
import { PG } from "./frames.ts";
import type { Kernel } from "./kernel.ts";

/** Writes dirty file page `fr` to its file and cleans its PTEs (`page_mkclean`). */
export function writeback(k: Kernel, fr: number): void {
  const obj = k.objAt[k.frames.owner[fr]!]!;
  k.counters[C.file_write_pages]!++;
  obj.disk.set(k.frames.index[fr]!, k.frames.stamp[fr]!);
  k.frames.flags[fr]! &= ~PG.dirty;
  if (k.frames.mapcount[fr]! > 0) k.walker.mkclean(fr);
}
