/**
 * {@linkcode ValgrindSyscalls}: the `SYSCALL[...]` lines Valgrind prints with
 * `--trace-syscalls=yes`, interleaved with lackey's accesses, turned into the client's own
 * mapping events.
 *
 * @module
 */
import { type Event, MapFlag, PAGE_SIZE } from "../../event.ts";
import type { Area, AreaMap } from "../area_map.ts";
import type { ImportStats } from "../import_stats.ts";

const HEAP_FLAGS = MapFlag.private | MapFlag.anon;

/**
 * Applies Valgrind's traced system calls to an address space: mmap, munmap, mremap, mprotect and
 * brk (the program break is remembered from call to call).
 *
 * @example
 * ```ts
 * import { ValgrindSyscalls } from "./syscalls.ts";
 * import { AreaMap } from "../area_map.ts";
 * import { newImportStats } from "../import_stats.ts";
 * const out: string[] = [];
 * new ValgrindSyscalls().apply(
 *   "SYSCALL[7,1](9) sys_mmap ( 0x0, 8192, 3, 34, 4294967295, 0 ) --> [pre-success] Success(0x4835000) ",
 *   new AreaMap(), 7, (ev) => out.push(ev.op), newImportStats(),
 * );
 * if (out.join() !== "mmap") throw new Error(out.join());
 * ```
 */
export class ValgrindSyscalls {
  #brk: number | null = null;

  /**
   * Applies the calls of one line: `SYSCALL[PID,TID](NR) sys_NAME ( ARGS ) --> ... Success(0xRET)` lines of Valgrind's
   * `--trace-syscalls=yes`, interleaved with lackey's: the client's own mmap, munmap, mremap,
   * mprotect and brk become mapping events at the addresses the accesses use. Calls whose result
   * Valgrind prints later (`[async] ...`) and other calls are left out.
   */
  apply(
    text: string,
    areas: AreaMap,
    pid: number,
    emit: (ev: Event) => void,
    stats: ImportStats,
  ): void {
    for (const seg of text.split(/(?=SYSCALL\[)/)) {
      const m =
        /^SYSCALL\[(\d+),\d+\]\(\d+\) sys_(\w+) \( ?(.*?) ?\)(?:\[sync\])? --> (?:\[pre-success\] )?Success\((0x[0-9a-f]+)\)/
          .exec(seg);
      if (!m) continue;
      const args = m[3]!.split(",").map((a) => Number(a.trim().replace(/\(.*$/, "")));
      const ret = Number(m[4]);
      if (args.some((a) => !Number.isFinite(a)) || !Number.isFinite(ret)) continue;
      stats.syscalls++;
      if (this.#one(m[2]!, args, ret, areas, pid, emit)) stats.handled++;
    }
  }

  /** Applies one traced system call; false if it is not one that shapes the address space. */
  #one(
    name: string,
    a: number[],
    ret: number,
    areas: AreaMap,
    pid: number,
    emit: (ev: Event) => void,
  ): boolean {
    const span = (addr: number, len: number): [number, number] => [
      Math.floor(addr / PAGE_SIZE),
      Math.ceil((addr + len) / PAGE_SIZE),
    ];
    switch (name) {
      case "mmap": {
        const [len, prot, mf, fd, off] = [a[1]!, a[2]! & 7, a[3]!, a[4]!, a[5]!];
        let flags: number = (mf & 3) === 2 ? MapFlag.private : MapFlag.shared;
        const anon = (mf & 0x20) !== 0 || fd === 4294967295 || fd === -1;
        if (anon) flags |= MapFlag.anon;
        if (mf & 0x8000) flags |= MapFlag.populate;
        if (mf & 0x4000) flags |= MapFlag.noreserve;
        const [ps, pe] = span(ret, len);
        const area: Area = {
          start: ps,
          end: pe,
          prot,
          flags,
          pgoff: anon ? 0 : Math.floor(off / PAGE_SIZE),
        };
        const ev: Event = { pid, op: "mmap", addr: ret, len, prot, flags };
        if (!anon) {
          // Valgrind does not print paths: one name per descriptor, as strace without -y.
          area.object = `file:unknown/pid${pid}.fd${fd}`;
          ev.object = area.object;
          ev.offset = area.pgoff * PAGE_SIZE;
        }
        areas.map(area);
        emit(ev);
        return true;
      }
      case "munmap": {
        const [ps, pe] = span(a[0]!, a[1]!);
        for (const r of areas.covered(ps, pe)) {
          emit({
            pid,
            op: "munmap",
            addr: r.start * PAGE_SIZE,
            len: (r.end - r.start) * PAGE_SIZE,
          });
        }
        areas.unmap(ps, pe);
        return true;
      }
      case "mprotect": {
        const [ps, pe] = span(a[0]!, a[1]!);
        for (const r of areas.covered(ps, pe)) {
          emit({
            pid,
            op: "mprotect",
            addr: r.start * PAGE_SIZE,
            len: (r.end - r.start) * PAGE_SIZE,
            prot: a[2]! & 7,
          });
        }
        areas.protect(ps, pe, a[2]! & 7);
        return true;
      }
      case "mremap": {
        const [os, oe] = span(a[0]!, a[1]!);
        const [ns, ne] = span(ret, a[2]!);
        if (!areas.remap(os, oe - os, ns, ne - ns)) return false;
        emit({ pid, op: "mremap", addr: a[0]!, len: a[1]!, newAddr: ret, newLen: a[2]! });
        return true;
      }
      case "brk": {
        const old = this.#brk;
        this.#brk = ret;
        if (old === null || ret === old) return old !== null;
        const s = Math.ceil(Math.min(old, ret) / PAGE_SIZE);
        const e = Math.ceil(Math.max(old, ret) / PAGE_SIZE);
        if (e <= s) return true;
        if (ret > old) {
          // The heap may already hold an area inferred from earlier accesses: only the gaps.
          let p = s;
          for (const r of [...areas.covered(s, e), { start: e, end: e }]) {
            if (r.start > p) {
              const area: Area = {
                start: p,
                end: r.start,
                prot: 3,
                flags: HEAP_FLAGS,
                pgoff: 0,
              };
              areas.map(area);
              emit({
                pid,
                op: "mmap",
                addr: p * PAGE_SIZE,
                len: (r.start - p) * PAGE_SIZE,
                prot: 3,
                flags: HEAP_FLAGS,
              });
            }
            p = Math.max(p, r.end);
          }
        } else {
          emit({ pid, op: "munmap", addr: s * PAGE_SIZE, len: (e - s) * PAGE_SIZE });
          areas.unmap(s, e);
        }
        return true;
      }
    }
    return false;
  }
}
