/**
 * Reclaim at a memory cgroup's limit (`memcg`), as `try_to_free_mem_cgroup_pages` does it in
 * Linux 6.x (`mm/vmscan.c`): when a charge finds the cgroup full it asks for `SWAP_CLUSTER_MAX`
 * (32) pages, and reclaim scans the LRU lists at decreasing priorities (12 down to 0) until it
 * has them. At priority P each list is scanned `size >> P` pages, anonymous and file lists in
 * proportion to `swappiness` and to their recent reclaim cost (`get_scan_count`'s `SCAN_FRACT`;
 * only the file lists with no swap left, both wholly at priority 0), 32 pages at a time, the
 * inactive anonymous, active anonymous, inactive file and active file lists in turn. An inactive
 * list's pages get the second chance of `shrink_folio_list` (`vmscan.ts`'s `shrinkPage`); an
 * active list's are moved to the inactive one (`shrink_active_list`) when the inactive list is
 * short (`inactive_is_low`: smaller than the active one below 1 GiB of LRU pages, `sqrt(10 ×
 * GiB)` times smaller above) or pages of that type were refaulted since the last reclaim. Once a
 * priority's pass has reclaimed the 32 pages and both types are still being scanned, the larger
 * is scanned on in proportion to what the smaller did, and the smaller stops. A reclaim that
 * frees nothing runs its priorities once more, then once more deactivating the active lists
 * whatever the statistics say if it skipped them (`force_deactivate`).
 *
 * Those statistics (list sizes, refault activations; `Kernel.memcgStat`) are the cgroup's as of
 * its last flush, every 2 seconds in Linux: in a new cgroup, for the first seconds, all 0. So the
 * active lists are not aged, the file lists never trimmed alone (`cache_trim_mode`), until a
 * reclaim finds nothing to free. Measured with tracepoints (`mm_vmscan_lru_shrink_*`,
 * `memcg_flush_stats`): in a probe's reclaims before the first flush, no active list was ever
 * shrunk and the anonymous and file lists were scanned in proportion.
 *
 * A page reclaim writes to swap stays in the swap cache until its write completes
 * (`writeback.ts`). Each priority's pass holds its writes in its block plug, or, reclaiming for a
 * swap readahead, the readahead's plug holds them (`swap_in.ts`), until the block layer would send
 * them (32 requests, a first request of 128 KiB, the pass's or the readahead's end); a write then
 * completes once reclaim has scanned `write_latency` more pages ({@linkcode WRITE_LATENCY} by
 * default; three times as many for a request of 512 KiB or more, which the disk takes longer to
 * write), at the start of the next reclaim outside a readahead, or when a scan meets it (cgroup
 * v1 waits for it); it then goes to the tail of its list, and the next scan frees it.
 *
 * Pages reclaim frees leave shadows, and pages read back soon enough go straight to the active
 * list (`workingset.ts`).
 *
 * Internal to the machine: functions over its state (`Kernel`); the entry is `reclaim.ts`.
 *
 * @module
 */
import { DEFAULT_KNOBS } from "../../uapi/knobs.ts";
import { LRU, NONE, PG } from "./frames.ts";
import type { Kernel } from "./kernel.ts";
import { noteCost } from "./lru.ts";
import { folioFrame } from "./page_cache.ts";
import { keepActive, reclaimFolio, SCAN_BATCH, shrinkFolio, shrinkPage } from "./vmscan.ts";
import { STAT_REFAULTS_ANON, STAT_REFAULTS_FILE } from "./workingset.ts";
import {
  completeWriteback,
  completeWritesBefore,
  flushDirtyFiles,
  flushPlug,
  markForFlusher,
  waitOnWriteback,
} from "./writeback.ts";

/** Highest reclaim priority (`DEF_PRIORITY`): a list is first scanned `size >> 12` pages. */
const DEF_PRIORITY = 12;
/** `MAX_SWAPPINESS`. */
const MAX_SWAPPINESS = 200;
/**
 * The default of `write_latency`, pages reclaim scans while a swap write it sent is in flight: the
 * disk's latency measured in reclaim's work, from the moment the write leaves its plug
 * (`writeback.ts`). Calibrated against `calibrate`'s pressure probes on a virtio disk (eleven
 * calibrations of 5 kernel runs each, and 22 further probes of the same kinds run 5 times each
 * over two days, replayed at their own `mem=`): 60 left 34 of 2 440 counts outside their
 * tolerance; 30, 40, 50, 55, 65, 70, 80 and 100 left 49, 53, 37, 56, 46, 37, 53 and 66. On a
 * third machine of the same kind 100 matched the shipped probes better but 11 held-out-style
 * probes worse (7 of 528 counts outside against 2; docs/machine.md).
 */
export const WRITE_LATENCY = DEFAULT_KNOBS.write_latency;

// Pages still to scan per list this pass, and the pass's targets (indexed by LRU list number).
const nr = new Float64Array(6);
const targets = new Float64Array(6);
// This reclaim deactivates the active lists whatever the statistics say (force_deactivate); a pass
// skipped an active list that had pages to scan (skipped_deactivate).
let force = false, skipped = false;
const ORDER = [LRU.inactiveAnon, LRU.activeAnon, LRU.inactiveFile, LRU.activeFile] as const;

/** Reclaims at least `target` pages (32 at least) as memory cgroup reclaim does; returns them. */
export function memcgReclaim(k: Kernel, target: number): number {
  if (!k.plugged) completeWriteback(k);
  const toReclaim = Math.max(target, SCAN_BATCH);
  let reclaimed = 0;
  // do_try_to_free_pages: the priorities, then, having freed nothing, once more (the full walk of
  // the cgroup tree), then once more deactivating the active lists whatever the statistics say
  // if that was skipped (force_deactivate).
  force = false;
  for (let pass = 0; pass < 3 && reclaimed === 0; pass++) {
    if (pass === 2) {
      if (!skipped) break;
      force = true;
    }
    skipped = false;
    for (let prio = DEF_PRIORITY; prio >= 0; prio--) {
      reclaimed += shrinkLruvec(k, prio, toReclaim);
      if (reclaimed >= toReclaim) break;
    }
  }
  k.snapRefaultsAnon = k.memcgStat[STAT_REFAULTS_ANON]!;
  k.snapRefaultsFile = k.memcgStat[STAT_REFAULTS_FILE]!;
  return reclaimed;
}

/** Whether the inactive list of a type is short against its active one (`inactive_is_low`). */
function inactiveIsLow(k: Kernel, file: boolean): boolean {
  const z = k.memcgStat; // as of the last flush
  const inactive = z[file ? LRU.inactiveFile : LRU.inactiveAnon]!;
  const active = z[file ? LRU.activeFile : LRU.activeAnon]!;
  const gb = Math.floor((inactive + active) / 262144);
  const ratio = gb > 0 ? Math.floor(Math.sqrt(10 * gb)) : 1;
  return inactive * ratio < active;
}

/** One priority's pass over the lists (`prepare_scan_control`, `shrink_lruvec`). */
function shrinkLruvec(k: Kernel, prio: number, toReclaim: number): number {
  // blk_start_plug: the pass's writes wait in its plug (writeback.ts), unless a swap readahead's
  // plug already holds them (swap_in.ts).
  k.passPlug = !k.plugged;
  const z = k.frames.lruSize;
  const st = k.memcgStat;
  const deactAnon = force || st[STAT_REFAULTS_ANON] !== k.snapRefaultsAnon ||
    inactiveIsLow(k, false);
  const deactFile = force || st[STAT_REFAULTS_FILE] !== k.snapRefaultsFile ||
    inactiveIsLow(k, true);
  // get_scan_count.
  const canSwap = k.swap.used < k.swap.total;
  const swappiness = k.swappiness;
  let balance: "fract" | "file" | "equal" = "fract";
  if (!canSwap || swappiness === 0) balance = "file";
  else if (prio === 0) balance = "equal";
  else if (Math.floor(st[LRU.inactiveFile]! / 2 ** prio) > 0 && !deactFile) balance = "file";
  let ap = 0, fp = 0;
  if (balance === "fract") {
    const total = k.anonCost + k.fileCost;
    const anonCost = total + k.anonCost, fileCost = total + k.fileCost;
    ap = Math.floor(swappiness * (anonCost + fileCost + 1) / (anonCost + 1));
    fp = Math.floor((MAX_SWAPPINESS - swappiness) * (anonCost + fileCost + 1) / (fileCost + 1));
  }
  for (const lru of ORDER) {
    const file = lru === LRU.inactiveFile || lru === LRU.activeFile;
    let scan = Math.floor(z[lru]! / 2 ** prio);
    if (balance === "fract") scan = Math.floor(scan * (file ? fp : ap) / (ap + fp));
    else if (balance === "file" && !file) scan = 0;
    nr[lru] = scan;
    targets[lru] = scan;
  }
  let reclaimed = 0;
  while (nr[LRU.inactiveAnon]! > 0 || nr[LRU.activeFile]! > 0 || nr[LRU.inactiveFile]! > 0) {
    for (const lru of ORDER) {
      const n = Math.min(nr[lru]!, SCAN_BATCH);
      if (n === 0) continue;
      nr[lru] = nr[lru]! - n;
      if (lru === LRU.activeAnon) {
        if (deactAnon) deactivate(k, LRU.activeAnon, LRU.inactiveAnon, n);
        else skipped = true;
      } else if (lru === LRU.activeFile) {
        if (deactFile) deactivate(k, LRU.activeFile, LRU.inactiveFile, n);
        else skipped = true;
      } else reclaimed += shrinkInactive(k, lru, n);
    }
    if (reclaimed < toReclaim) continue;
    // Enough: stop the smaller type and nudge the larger one towards its share of the pass. Once
    // one type is stopped the next check ends the pass (Linux 6.0's fix of "extreme overreclaim":
    // one batch more of the larger type, not the rest of its share).
    const nrFile = nr[LRU.inactiveFile]! + nr[LRU.activeFile]!;
    const nrAnon = nr[LRU.inactiveAnon]! + nr[LRU.activeAnon]!;
    if (nrFile === 0 || nrAnon === 0) break;
    const anonSmaller = nrFile > nrAnon;
    const pct = anonSmaller
      ? Math.floor(nrAnon * 100 / (targets[LRU.inactiveAnon]! + targets[LRU.activeAnon]! + 1))
      : Math.floor(nrFile * 100 / (targets[LRU.inactiveFile]! + targets[LRU.activeFile]! + 1));
    const stop = anonSmaller
      ? [LRU.inactiveAnon, LRU.activeAnon]
      : [LRU.inactiveFile, LRU.activeFile];
    const go = anonSmaller
      ? [LRU.inactiveFile, LRU.activeFile]
      : [LRU.inactiveAnon, LRU.activeAnon];
    for (const l of stop) nr[l] = 0;
    for (const l of go) {
      const scanned = targets[l]! - nr[l]!;
      const left = Math.floor(targets[l]! * (100 - pct) / 100);
      nr[l] = left - Math.min(left, scanned);
    }
  }
  if (canSwap && inactiveIsLow(k, false)) {
    deactivate(k, LRU.activeAnon, LRU.inactiveAnon, SCAN_BATCH);
  }
  // blk_finish_plug: what the pass's plug still holds is sent.
  if (k.passPlug) flushPlug(k);
  k.passPlug = false;
  return reclaimed;
}

/**
 * `shrink_inactive_list`: up to `n` pages from the tail of inactive list `lru` through
 * `shrinkPage`; returns the pages freed. Notes the cost: pages written, pages kept.
 */
function shrinkInactive(k: Kernel, lru: number, n: number): number {
  const fr = k.frames;
  const file = lru === LRU.inactiveFile;
  let scanned = 0, freed = 0, written = 0, unqueued = 0;
  // A batch of up to n pages, each taken from the tail as it is scanned. The kernel takes the
  // whole batch off the list first (isolate_lru_folios), so a page whose write completes meanwhile
  // waits for its next batch, where here this one may free it; taking it first fitted the kernel's
  // counts worse with every write latency tried (docs/machine.md, "Kernel against vmreplay").
  const batch = Math.min(n, fr.lruSize[lru]!);
  for (; scanned < batch; scanned++) {
    // Writes complete once reclaim has scanned writeLatency more pages (a slow request: three
    // times as many) since they left their plug (those still in it never do).
    const clock = ++k.scanClock;
    if (k.inFlight.length > 0) completeWritesBefore(k, clock);
    const f = fr.lruTail[lru]!;
    if (f === NONE) break;
    const fl = fr.flags[f]!;
    // A file page the flusher is writing, met for the first time: left to it (shrink_folio_list's
    // second writeback case).
    if ((fl & PG.writeback) && file && !(fl & PG.swapBacked) && !(fl & PG.reclaim)) {
      markForFlusher(fr, f);
      continue;
    }
    // A large folio of clean file pages: taken, and counted, as one (isolate_lru_folios).
    const folio = file ? reclaimFolio(k, f) : 0;
    if (folio > 0) {
      freed += shrinkFolio(k, folio);
      scanned += folio - 1;
      continue;
    }
    // A page still being written, met again or written by reclaim: reclaim waits for it (cgroup
    // v1's third case), which submits whatever a plug held, so every write started so far
    // completes.
    waitOnWriteback(k, f);
    // A dirty file page not being written (nr_unqueued_dirty).
    if (file && (fr.flags[f]! & PG.dirty)) unqueued++;
    const dirty = needsWrite(fr.flags[f]!);
    const got = shrinkPage(k, f, false);
    freed += got;
    if (dirty && (got || (fr.flags[f]! & PG.writeback))) written++;
  }
  if (scanned > 0) noteCost(k, file, written, scanned - freed);
  // Every page of the batch dirty and not being written: the flusher is woken
  // (shrink_inactive_list's wakeup_flusher_threads).
  if (scanned > 0 && unqueued === scanned) {
    flushDirtyFiles(k);
    // Reclaim entered from a fault waits for the flusher (cgroup v1's reclaim_throttle): its
    // writes complete before the next batch. One entered from write(2) goes on at once.
    if (!k.inFileWrite) completeWriteback(k);
  }
  return freed;
}

/** Whether reclaiming a page with flags `fl` writes it: dirty, or anonymous and not on swap yet. */
function needsWrite(fl: number): boolean {
  return (fl & PG.dirty) !== 0 || ((fl & PG.anon) !== 0 && (fl & PG.swapCache) === 0);
}

/**
 * `shrink_active_list`: up to `n` pages from the tail of `active` move to the head of `inactive`
 * (marked PG_workingset, their accessed bits cleared), except referenced executable file pages,
 * which go round the active list again.
 */
function deactivate(k: Kernel, active: number, inactive: number, n: number): void {
  const fr = k.frames;
  // A batch is taken off the tail (isolate_lru_folios): a page kept active is not met again.
  const batch = Math.min(n, fr.lruSize[active]!);
  for (let q = 0; q < batch; q++) {
    const f = fr.lruTail[active]!;
    if (f === NONE) break;
    const folio = active === LRU.activeFile ? reclaimFolio(k, f) : 0;
    if (folio > 0) {
      // A large folio moves as one: kept if any of its pages is.
      q += folio - 1;
      let keep = false;
      for (let i = 0; i < folio; i++) keep = keepActive(k, folioFrame(i), active) || keep;
      for (let i = 0; i < folio; i++) {
        const p = folioFrame(i);
        if (fr.lru[p] !== active) continue; // mlocked
        if (keep) fr.lruMove(p, active);
        else {
          fr.flags[p] = fr.flags[p]! | PG.workingset;
          fr.lruMove(p, inactive);
        }
      }
      continue;
    }
    if (keepActive(k, f, active)) continue;
    fr.flags[f] = fr.flags[f]! | PG.workingset;
    fr.lruMove(f, inactive);
  }
}
