/**
 * A read-around's pages are pinned until their run ends (`page_cache.ts`'s `readWindow`): Linux
 * adds them to the page cache locked and sends their reads when the window meets a cached page or
 * ends, and reclaim cannot take a locked page. In a full memory cgroup, the reclaim the window's
 * own charges run must free other pages, never the run's.
 */
import { deepStrictEqual } from "node:assert/strict";
import { checkKernel } from "../check.ts";
import { newCounters } from "../counters.ts";
import { Kernel } from "./kernel.ts";
import { LRU } from "./frames.ts";
import { getPage } from "./page_cache.ts";
import { create, read } from "../sys/file.ts";
import { PAGE_SIZE } from "../../uapi/event.ts";

/** A memory cgroup of `pages` frames without swap. */
function smallCgroup(pages: number): Kernel {
  return new Kernel(
    { memPages: pages, swapPages: 0, strategy: "anon_vma_chain", vm: { memcg: true } },
    newCounters(),
  );
}

/** Indexes of file `name`'s cached pages, in order. */
function cached(k: Kernel, name: string): number[] {
  return [...k.objects.get(name)!.pages.keys()].sort((a, b) => a - b);
}

Deno.test("a read-around in a full memory cgroup frees older pages, not its own", () => {
  const k = smallCgroup(64);
  // 48 pages read twice: on the active list, which reclaim leaves alone while the cgroup's
  // statistics are those of a new cgroup (all 0), until a reclaim finds nothing else to free.
  create(k, "file:old", 48 * PAGE_SIZE);
  read(k, "file:old", 0, 48 * PAGE_SIZE);
  read(k, "file:old", 0, 48 * PAGE_SIZE);
  deepStrictEqual(k.frames.lruSize[LRU.activeFile], 48);
  // A major fault at page 16 of a 128-page file: the window is pages 0-31 (ra_pages 32), 16
  // more than the cgroup has free. Its own pages, the only inactive ones, are pinned, so
  // reclaim deactivates and frees pages of the old file.
  create(k, "file:f", 128 * PAGE_SIZE);
  getPage(k, k.objects.get("file:f")!, 16, true);
  deepStrictEqual(cached(k, "file:f"), Array.from({ length: 32 }, (_, i) => i));
  deepStrictEqual(k.objects.get("file:old")!.pages.size <= 32, true);
  deepStrictEqual(checkKernel(k), []);
});

Deno.test("a cached page ends the run: its pages may be freed by the rest of the window", () => {
  const k = smallCgroup(64);
  create(k, "file:old", 40 * PAGE_SIZE);
  read(k, "file:old", 0, 40 * PAGE_SIZE);
  read(k, "file:old", 0, 40 * PAGE_SIZE);
  create(k, "file:f", 128 * PAGE_SIZE);
  // Page 8 cached beforehand (read once: inactive, older than the window's pages).
  read(k, "file:f", 8 * PAGE_SIZE, PAGE_SIZE);
  const f = k.objects.get("file:f")!;
  getPage(k, f, 16, true);
  // Pages 0-7 were read as one run, sent at page 8; the run 9-31 (the faulting page 16 is part
  // of it) then needed frames the old file's active pages could not give at once, and took the
  // oldest inactive ones: page 8, then the first run's.
  deepStrictEqual(cached(k, "file:f"), Array.from({ length: 23 }, (_, i) => 9 + i));
  deepStrictEqual(k.objects.get("file:old")!.pages.size, 40);
  deepStrictEqual(checkKernel(k), []);
});
