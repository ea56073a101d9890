/**
 * Short constructors for the events the workload generators emit, and the protections and
 * flags they map with.
 *
 * @module
 */
import { type Addr, type Event, MapFlag, PAGE_SIZE, Prot } from "../event.ts";

/** `rw-`. */
export const RW = Prot.read | Prot.write;
/** `r--`. */
export const RO = Prot.read;
/** `r-x`. */
export const RX = Prot.read | Prot.exec;
/** `private,anon`. */
export const PRIVATE_ANON = MapFlag.private | MapFlag.anon;
/** `shared,anon`. */
export const SHARED_ANON = MapFlag.shared | MapFlag.anon;
/** `private` (file-backed). */
export const PRIVATE = MapFlag.private;
/** `shared` (file- or tmpfs-backed). */
export const SHARED = MapFlag.shared;

/** Bytes per access the generators use for loads and stores (one machine word). */
const WORD = 8;

/** Byte address of page `i` of an area starting at `base`. */
export function at(base: number, i: number): number {
  return base + i * PAGE_SIZE;
}

/** `PID mmap ADDR LEN PROT FLAGS [OBJECT [OFFSET]]`, LEN and OFFSET in pages. */
export function mmap(
  pid: number,
  addr: Addr,
  pages: number,
  prot: number,
  flags: number,
  object?: string,
  offsetPages = 0,
): Event {
  const e: Event = { pid, op: "mmap", addr, len: pages * PAGE_SIZE, prot, flags };
  if (object !== undefined) {
    e.object = object;
    e.offset = offsetPages * PAGE_SIZE;
  }
  return e;
}

/** `PID munmap ADDR LEN`, LEN in pages. */
export function munmap(pid: number, addr: Addr, pages: number): Event {
  return { pid, op: "munmap", addr, len: pages * PAGE_SIZE };
}

/** `PID mremap OLD OLDLEN NEW NEWLEN`, lengths in pages. */
export function mremap(
  pid: number,
  addr: Addr,
  pages: number,
  newAddr: Addr,
  newPages: number,
): Event {
  return {
    pid,
    op: "mremap",
    addr,
    len: pages * PAGE_SIZE,
    newAddr,
    newLen: newPages * PAGE_SIZE,
  };
}

/** `PID madvise ADDR LEN pageout`, LEN in pages. */
export function pageout(pid: number, addr: Addr, pages: number): Event {
  return { pid, op: "madvise", addr, len: pages * PAGE_SIZE, advice: "pageout" };
}

/** `PID r ADDR 8`. */
export function r(pid: number, addr: Addr): Event {
  return { pid, op: "r", addr, len: WORD };
}

/** `PID w ADDR 8`. */
export function w(pid: number, addr: Addr): Event {
  return { pid, op: "w", addr, len: WORD };
}

/** `PID x ADDR 8`. */
export function x(pid: number, addr: Addr): Event {
  return { pid, op: "x", addr, len: WORD };
}

/** `PID fork CHILD`. */
export function fork(pid: number, child: number): Event {
  return { pid, op: "fork", child };
}

/** `PID exit`. */
export function exit(pid: number): Event {
  return { pid, op: "exit" };
}

/** `- mark LABEL`. */
export function mark(label: string): Event {
  return { pid: 0, op: "mark", label };
}

/** `- reclaim PAGES`. */
export function reclaim(pages: number): Event {
  return { pid: 0, op: "reclaim", pages };
}

/** `- swapon NAME SIZE`. */
export function swapon(name: string, bytes: number): Event {
  return { pid: 0, op: "swapon", name, size: bytes };
}

/** `- swapoff NAME`. */
export function swapoff(name: string): Event {
  return { pid: 0, op: "swapoff", name };
}

/** `PID create OBJECT SIZE`, SIZE in pages. */
export function create(pid: number, object: string, pages: number): Event {
  return { pid, op: "create", object, size: pages * PAGE_SIZE };
}

/** `PID write OBJECT OFFSET LEN`, OFFSET and LEN in pages. */
export function write(pid: number, object: string, offsetPages: number, pages: number): Event {
  return { pid, op: "write", object, offset: offsetPages * PAGE_SIZE, len: pages * PAGE_SIZE };
}
