/**
 * Test helper: the random workload every strategy replays in the shared suite
 * (`core/rmap/_cases_test.ts`): a few processes forking, exiting and exec'ing, a few regions of
 * private and shared, anonymous, file, tmpfs and System V memory, accesses, munmap, mprotect,
 * mremap, madvise, mlock, msync, file operations, swapon and swapoff, and reclaim, all seeded.
 *
 * @module
 */
import { EventBatch } from "../trace/batch.ts";
import type { Event } from "../trace/event.ts";
import { Rng } from "../trace/_rng.ts";

/** Random but meaningful events: few processes, a few regions, a few objects. */
export function randomWorkload(seed: number, n: number, opts: { lock?: boolean } = {}): Event[] {
  // Populating or locking a private file mapping breaks COW at once in Linux (a snapshot of the
  // file), which the reference model does not follow; leave that out when comparing loads.
  const lock = opts.lock ?? true;
  const rng = Rng.fromState(seed);
  const rnd = () => rng.next();
  const int = (k: number) => rng.int(k);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const alive = [1];
  let nextPid = 2;
  const region = (k: number) => 0x10000000 + k * 0x100000;
  const addr = () => region(int(6)) + int(28) * 4096 + int(4096);
  const objects = ["file:/a", "file:/b", "tmpfs:/t", "shm:1"];
  const swaps = ["s0", "s1"];
  const out: Event[] = [];
  while (out.length < n) {
    const pid = pick(alive);
    const r = rnd();
    if (r < 0.55) {
      const op = rnd() < 0.45 ? "w" : rnd() < 0.9 ? "r" : "x";
      out.push({ pid, op, addr: addr(), len: rnd() < 0.85 ? 1 + int(8) : 4096 * (1 + int(6)) });
    } else if (r < 0.64) {
      const kind = int(7);
      const flags = [5, 6, 1, 2, 2, 1, 2][kind]! |
        (lock || kind < 2 ? (rnd() < 0.1 ? 8 : 0) | (rnd() < 0.05 ? 16 : 0) : 0);
      const object = [undefined, undefined, "file:/a", "file:/b", "tmpfs:/t", "tmpfs:/t", "shm:1"][
        kind
      ];
      const ev: Event = {
        pid,
        op: "mmap",
        addr: region(int(6)) + int(4) * 4096,
        len: 4096 * (4 + int(28)),
        prot: pick([3, 3, 3, 1, 5, 7, 0]),
        flags,
      };
      if (object !== undefined) {
        ev.object = object;
        ev.offset = 4096 * int(8);
      }
      out.push(ev);
    } else if (r < 0.66) {
      out.push({
        pid,
        op: "munmap",
        addr: region(int(6)) + int(24) * 4096,
        len: 4096 * (1 + int(16)),
      });
    } else if (r < 0.70) {
      out.push({
        pid,
        op: "mprotect",
        addr: region(int(6)) + int(24) * 4096,
        len: 4096 * (1 + int(12)),
        prot: pick([1, 3, 3, 0, 5]),
      });
    } else if (r < 0.73) {
      const a = region(int(6)) + int(8) * 4096;
      const len = 4096 * (1 + int(8));
      const moveTo = rnd() < 0.5 ? a : region(int(6)) + (48 + int(8)) * 4096;
      out.push({ pid, op: "mremap", addr: a, len, newAddr: moveTo, newLen: 4096 * (1 + int(12)) });
    } else if (r < 0.76) {
      out.push({
        pid,
        op: "madvise",
        addr: region(int(6)) + int(24) * 4096,
        len: 4096 * (1 + int(12)),
        advice: pick(["dontneed", "pageout", "willneed"] as const),
      });
    } else if (r < 0.78) {
      out.push({
        pid,
        op: lock
          ? pick(["mlock", "munlock", "msync"] as const)
          : pick(["munlock", "msync"] as const),
        addr: region(int(6)) + int(24) * 4096,
        len: 4096 * (1 + int(8)),
      });
    } else if (r < 0.81) {
      if (alive.length < 7) {
        const child = nextPid++;
        out.push({ pid, op: rnd() < 0.8 ? "fork" : "clone", child });
        alive.push(child);
      }
    } else if (r < 0.83) {
      if (alive.length > 1) {
        out.push({ pid, op: "exit" });
        alive.splice(alive.indexOf(pid), 1);
      }
    } else if (r < 0.835) {
      out.push({ pid, op: "exec" });
    } else if (r < 0.90) {
      const object = pick(objects);
      const k = int(6);
      if (k === 0) out.push({ pid, op: "create", object, size: 4096 * int(40) });
      else if (k === 1) out.push({ pid, op: "truncate", object, size: 4096 * int(30) + int(4096) });
      else if (k === 2) {
        out.push({ pid, op: "write", object, offset: int(40 * 4096), len: 1 + int(12000) });
      } else if (k === 3) {
        out.push({ pid, op: "read", object, offset: int(40 * 4096), len: 1 + int(12000) });
      } else if (k === 4) out.push({ pid, op: rnd() < 0.3 ? "unlink" : "fsync", object });
      else out.push({ pid, op: "fsync", object });
    } else if (r < 0.92) {
      const name = pick(swaps);
      if (rnd() < 0.5) {
        out.push({ pid: 0, op: "swapon", name, size: 4096 * (64 + int(128)), prio: int(3) });
      } else out.push({ pid: 0, op: "swapoff", name });
    } else {
      out.push({ pid: 0, op: "reclaim", pages: 1 + int(24) });
    }
  }
  return out;
}

/** Events numbered by line, in a batch of their own. */
export function batchOf(events: Event[]): EventBatch {
  const b = new EventBatch(events.length);
  events.forEach((e, i) => b.push({ ...e, line: i + 1 }));
  return b;
}
