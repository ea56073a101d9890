/**
 * The vmtrace v1 event model.
 *
 * Two views of the same data:
 * - {@linkcode Event}: one plain object per event, a discriminated union on `op`. It is what the
 *   library API, JSON Lines, CSV and tests use.
 * - {@linkcode EventBatch}: a columnar, typed-array encoding of up to `capacity` events. The
 *   parsers fill batches and the replay engine reads them by index, so the hot path allocates
 *   nothing per event.
 *
 * Addresses may reach 2^57, beyond the 2^53 a JS number holds exactly. An {@linkcode Addr} is a
 * `number` when it is exact and a `bigint` above that. In a batch an address is split into its page
 * number (always exact in a float64) and its offset within the 4 KiB page.
 *
 * @module
 */

import type { Advice } from "../uapi/event.ts";

// The op codes, flag bits and column layout that traces and the machine share, for the users of
// this module.
export * from "../uapi/event.ts";

/** A virtual address: a `number` below 2^53, a `bigint` at or above it (up to 2^57). */
export type Addr = number | bigint;

/** Fields every event has. `pid` is 0 for system events (written `-`). */
export interface EventBase {
  /** Process (or thread) id; 0 for system events. */
  pid: number;
  /** 1-based line (text, CSV, JSONL) or 1-based event number (binary) it came from, if known. */
  line?: number;
}

/** `mmap ADDR LEN PROT FLAGS [OBJECT [OFFSET]]`. */
export interface MmapEvent extends EventBase {
  /** The operation. */
  op: "mmap";
  /** Start address (OLDADDR for mremap). */
  addr: Addr;
  /** Length in bytes (OLDLEN for mremap; 1 by default for r/w/x). */
  len: number;
  /** {@linkcode Prot} bits. */
  prot: number;
  /** {@linkcode MapFlag} bits. */
  flags: number;
  /** `file:PATH`, `tmpfs:PATH` or `shm:KEY`; absent for anonymous memory. */
  object?: string;
  /** Byte offset into `object`, page-aligned. */
  offset?: number;
}
/** `munmap`, `mlock`, `munlock`, `msync`: `ADDR LEN`. */
export interface RangeEvent extends EventBase {
  /** The operation. */
  op: "munmap" | "mlock" | "munlock" | "msync";
  /** Start address (OLDADDR for mremap). */
  addr: Addr;
  /** Length in bytes (OLDLEN for mremap; 1 by default for r/w/x). */
  len: number;
}
/** `mremap OLDADDR OLDLEN NEWADDR NEWLEN`. */
export interface MremapEvent extends EventBase {
  /** The operation. */
  op: "mremap";
  /** Start address (OLDADDR for mremap). */
  addr: Addr;
  /** Length in bytes (OLDLEN for mremap; 1 by default for r/w/x). */
  len: number;
  /** NEWADDR: where the area goes (equal to `addr` to resize in place). */
  newAddr: Addr;
  /** NEWLEN: the new length in bytes. */
  newLen: number;
}
/** `mprotect ADDR LEN PROT`. */
export interface MprotectEvent extends EventBase {
  /** The operation. */
  op: "mprotect";
  /** Start address (OLDADDR for mremap). */
  addr: Addr;
  /** Length in bytes (OLDLEN for mremap; 1 by default for r/w/x). */
  len: number;
  /** {@linkcode Prot} bits. */
  prot: number;
}
/** `madvise ADDR LEN ADVICE`. */
export interface MadviseEvent extends EventBase {
  /** The operation. */
  op: "madvise";
  /** Start address (OLDADDR for mremap). */
  addr: Addr;
  /** Length in bytes (OLDLEN for mremap; 1 by default for r/w/x). */
  len: number;
  /** The advice. */
  advice: Advice;
}
/** `fork CHILDPID`, `clone CHILDPID`. */
export interface ForkEvent extends EventBase {
  /** The operation. */
  op: "fork" | "clone";
  /** The new process (fork) or thread (clone) id. */
  child: number;
}
/** `exec`, `exit`. */
export interface ProcEvent extends EventBase {
  /** The operation. */
  op: "exec" | "exit";
}
/** `r`/`w`/`x ADDR [LEN]`. */
export interface AccessEvent extends EventBase {
  /** The operation. */
  op: "r" | "w" | "x";
  /** Start address (OLDADDR for mremap). */
  addr: Addr;
  /** Length in bytes (OLDLEN for mremap; 1 by default for r/w/x). */
  len: number;
}
/** `create OBJECT SIZE`, `truncate OBJECT SIZE`. */
export interface SizeObjectEvent extends EventBase {
  /** The operation. */
  op: "create" | "truncate";
  /** `file:PATH`, `tmpfs:PATH` or `shm:KEY`. */
  object: string;
  /** Size in bytes. */
  size: number;
}
/** `read OBJECT OFFSET LEN`, `write OBJECT OFFSET LEN`. */
export interface IoEvent extends EventBase {
  /** The operation. */
  op: "read" | "write";
  /** `file:PATH`, `tmpfs:PATH` or `shm:KEY`. */
  object: string;
  /** Byte offset into the object. */
  offset: number;
  /** Length in bytes (OLDLEN for mremap; 1 by default for r/w/x). */
  len: number;
}
/** `unlink OBJECT`, `fsync OBJECT`. */
export interface ObjectEvent extends EventBase {
  /** The operation. */
  op: "unlink" | "fsync";
  /** `file:PATH`, `tmpfs:PATH` or `shm:KEY`. */
  object: string;
}
/** `- swapon NAME SIZE [prio=N]`. */
export interface SwaponEvent extends EventBase {
  /** The operation. */
  op: "swapon";
  /** Swap device name. */
  name: string;
  /** Size in bytes. */
  size: number;
  /** Priority; higher is used first. Absent means the kernel's default (decreasing from -1). */
  prio?: number;
}
/** `- swapoff NAME`. */
export interface SwapoffEvent extends EventBase {
  /** The operation. */
  op: "swapoff";
  /** Swap device name. */
  name: string;
}
/** `- reclaim PAGES`. */
export interface ReclaimEvent extends EventBase {
  /** The operation. */
  op: "reclaim";
  /** Number of pages to reclaim. */
  pages: number;
}
/** `- mark LABEL`. */
export interface MarkEvent extends EventBase {
  /** The operation. */
  op: "mark";
  /** Phase label. */
  label: string;
}

/** One vmtrace event. */
export type Event =
  | MmapEvent
  | RangeEvent
  | MremapEvent
  | MprotectEvent
  | MadviseEvent
  | ForkEvent
  | ProcEvent
  | AccessEvent
  | SizeObjectEvent
  | IoEvent
  | ObjectEvent
  | SwaponEvent
  | SwapoffEvent
  | ReclaimEvent
  | MarkEvent;

/** Machine defaults carried by a trace's header line (`vmtrace 1 mem=64M swap=256M`). */
export interface TraceHeader {
  /** Format version; always 1 for now. */
  version: 1;
  /** Physical memory in bytes. */
  mem?: number;
  /** Swap in bytes. */
  swap?: number;
  /** Page size in bytes (only 4096 is modelled). */
  page?: number;
  /** Any other `key=value` pairs, kept verbatim so that conversion does not lose them. */
  extra?: Record<string, string>;
}
