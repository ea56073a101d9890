/**
 * Helpers for tests and experiments: {@linkcode TraceBuilder}, a fluent way to write a trace in
 * code, and {@linkcode randomEvents}, a seeded stream of valid events covering every op.
 *
 * @module
 */
import { ACCESS_MAX, RW_MAX, SWAP_MAX } from "../uapi/limits.ts";
import { type Addr, type Advice, ADVICES, type Event, OPS, type TraceHeader } from "./event.ts";
import { EventBatch } from "./batch.ts";
import { checkFlagBits, checkName, parseFlags, parseNumber, parseProt } from "./syntax.ts";
import { formatTraceText } from "./text/stringify.ts";
import { Rng } from "./_rng.ts";

/** A number, or a string in vmtrace number syntax (`"64K"`, `"0x7f0000000000"`). */
export type NumLike = number | bigint | string;

/** Machine defaults for {@linkcode TraceBuilder}: sizes as numbers or strings like `"8M"`. */
export interface TraceBuilderOptions {
  /** Physical memory. */
  mem?: NumLike;
  /** Swap. */
  swap?: NumLike;
  /** Page size (only 4096 is modelled). */
  page?: NumLike;
  /** Other header `key=value` pairs. */
  extra?: Record<string, string>;
}

function toAddr(v: NumLike, what: string): Addr {
  const n = typeof v === "string" ? parseNumber(v) : v;
  if (n === undefined) throw new TypeError(`TraceBuilder: bad ${what} '${v}'`);
  if (typeof n === "bigint") {
    if (n < 0n || n >= 2n ** 57n) throw new RangeError(`TraceBuilder: ${what} ${v} out of range`);
    return n < 2n ** 53n ? Number(n) : n;
  }
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(`TraceBuilder: ${what} ${v} is not a non-negative safe integer`);
  }
  return n;
}

function toNum(v: NumLike, what: string): number {
  const n = toAddr(v, what);
  if (typeof n === "bigint") throw new RangeError(`TraceBuilder: ${what} ${v} is too large`);
  return n;
}

function toProt(v: string | number): number {
  const p = typeof v === "string" ? parseProt(v) : v;
  if (p === undefined || p < 0 || p > 7) throw new TypeError(`TraceBuilder: bad PROT '${v}'`);
  return p;
}

function toFlags(v: string | number): number {
  const f = typeof v === "string" ? parseFlags(v) : (checkFlagBits(v) ?? v);
  if (typeof f === "string") throw new TypeError(`TraceBuilder: ${f}`);
  return f;
}

function toName(s: string, kind: "object" | "name" | "label"): string {
  const e = checkName(s, kind);
  if (e) throw new TypeError(`TraceBuilder: ${e}`);
  return s;
}

/**
 * Builds a trace in code, one chained call per event. Arguments mirror the text form: sizes and
 * addresses may be numbers or strings like `"64K"`, PROT and FLAGS strings like `"rw-"` and
 * `"private,anon"`. Bad arguments throw at once.
 *
 * @example
 * ```ts
 * import { TraceBuilder } from "./builder.ts";
 * const t = new TraceBuilder({ mem: "8M", swap: "32M" })
 *   .mmap(1, 0x10000, "64K", "rw-", "private,anon")
 *   .w(1, 0x10000).fork(1, 2).mark("after-fork").r(2, 0x10000).exit(2).exit(1);
 * if (t.events().length !== 7) throw new Error("seven events");
 * if (!t.text().startsWith("vmtrace 1 mem=8M swap=32M\n1 mmap 0x10000 64K rw-")) {
 *   throw new Error(t.text());
 * }
 * ```
 */
export class TraceBuilder {
  #header: TraceHeader;
  #events: Event[] = [];

  /** Starts an empty trace with the given machine defaults. */
  constructor(opts: TraceBuilderOptions = {}) {
    this.#header = { version: 1 };
    if (opts.mem !== undefined) this.#header.mem = toNum(opts.mem, "mem");
    if (opts.swap !== undefined) this.#header.swap = toNum(opts.swap, "swap");
    if (opts.page !== undefined) this.#header.page = toNum(opts.page, "page");
    if (opts.extra !== undefined) this.#header.extra = { ...opts.extra };
  }

  /** Appends an already-built event (copied). */
  event(ev: Event): this {
    this.#events.push({ ...ev });
    return this;
  }

  /** `PID mmap ADDR LEN PROT FLAGS [OBJECT [OFFSET]]`. */
  mmap(
    pid: number,
    addr: NumLike,
    len: NumLike,
    prot: string | number,
    flags: string | number,
    object?: string,
    offset?: NumLike,
  ): this {
    const ev: Event = {
      pid: this.#pid(pid),
      op: "mmap",
      addr: toAddr(addr, "ADDR"),
      len: toNum(len, "LEN"),
      prot: toProt(prot),
      flags: toFlags(flags),
    };
    if (object !== undefined) ev.object = toName(object, "object");
    if (offset !== undefined) {
      if (object === undefined) throw new TypeError("TraceBuilder: OFFSET needs an OBJECT");
      ev.offset = toNum(offset, "OFFSET");
    }
    return this.event(ev);
  }

  /** `PID munmap ADDR LEN`. */
  munmap(pid: number, addr: NumLike, len: NumLike): this {
    return this.#range("munmap", pid, addr, len);
  }
  /** `PID mlock ADDR LEN`. */
  mlock(pid: number, addr: NumLike, len: NumLike): this {
    return this.#range("mlock", pid, addr, len);
  }
  /** `PID munlock ADDR LEN`. */
  munlock(pid: number, addr: NumLike, len: NumLike): this {
    return this.#range("munlock", pid, addr, len);
  }
  /** `PID msync ADDR LEN`. */
  msync(pid: number, addr: NumLike, len: NumLike): this {
    return this.#range("msync", pid, addr, len);
  }

  /** `PID mremap OLDADDR OLDLEN NEWADDR NEWLEN`. */
  mremap(pid: number, addr: NumLike, len: NumLike, newAddr: NumLike, newLen: NumLike): this {
    return this.event({
      pid: this.#pid(pid),
      op: "mremap",
      addr: toAddr(addr, "OLDADDR"),
      len: toNum(len, "OLDLEN"),
      newAddr: toAddr(newAddr, "NEWADDR"),
      newLen: toNum(newLen, "NEWLEN"),
    });
  }

  /** `PID mprotect ADDR LEN PROT`. */
  mprotect(pid: number, addr: NumLike, len: NumLike, prot: string | number): this {
    return this.event({
      pid: this.#pid(pid),
      op: "mprotect",
      addr: toAddr(addr, "ADDR"),
      len: toNum(len, "LEN"),
      prot: toProt(prot),
    });
  }

  /** `PID madvise ADDR LEN ADVICE`. */
  madvise(pid: number, addr: NumLike, len: NumLike, advice: Advice): this {
    if (!["dontneed", "pageout", "willneed"].includes(advice)) {
      throw new TypeError(`TraceBuilder: unknown advice '${advice}'`);
    }
    return this.event({
      pid: this.#pid(pid),
      op: "madvise",
      addr: toAddr(addr, "ADDR"),
      len: toNum(len, "LEN"),
      advice,
    });
  }

  /** `PID fork CHILDPID`. */
  fork(pid: number, child: number): this {
    return this.event({ pid: this.#pid(pid), op: "fork", child: this.#pid(child) });
  }
  /** `PID clone CHILDPID` (a thread sharing the address space). */
  clone(pid: number, child: number): this {
    return this.event({ pid: this.#pid(pid), op: "clone", child: this.#pid(child) });
  }
  /** `PID exec`. */
  exec(pid: number): this {
    return this.event({ pid: this.#pid(pid), op: "exec" });
  }
  /** `PID exit`. */
  exit(pid: number): this {
    return this.event({ pid: this.#pid(pid), op: "exit" });
  }

  /** `PID r ADDR [LEN]`: a load. */
  r(pid: number, addr: NumLike, len: NumLike = 1): this {
    return this.#access("r", pid, addr, len);
  }
  /** `PID w ADDR [LEN]`: a store. */
  w(pid: number, addr: NumLike, len: NumLike = 1): this {
    return this.#access("w", pid, addr, len);
  }
  /** `PID x ADDR [LEN]`: an instruction fetch. */
  x(pid: number, addr: NumLike, len: NumLike = 1): this {
    return this.#access("x", pid, addr, len);
  }

  /** `PID create OBJECT SIZE`. */
  create(pid: number, object: string, size: NumLike): this {
    return this.event({
      pid: this.#pid(pid),
      op: "create",
      object: toName(object, "object"),
      size: toNum(size, "SIZE"),
    });
  }
  /** `PID truncate OBJECT SIZE`. */
  truncate(pid: number, object: string, size: NumLike): this {
    return this.event({
      pid: this.#pid(pid),
      op: "truncate",
      object: toName(object, "object"),
      size: toNum(size, "SIZE"),
    });
  }
  /** `PID read OBJECT OFFSET LEN`. */
  read(pid: number, object: string, offset: NumLike, len: NumLike): this {
    return this.#io("read", pid, object, offset, len);
  }
  /** `PID write OBJECT OFFSET LEN`. */
  write(pid: number, object: string, offset: NumLike, len: NumLike): this {
    return this.#io("write", pid, object, offset, len);
  }
  /** `PID unlink OBJECT`. */
  unlink(pid: number, object: string): this {
    return this.event({ pid: this.#pid(pid), op: "unlink", object: toName(object, "object") });
  }
  /** `PID fsync OBJECT`. */
  fsync(pid: number, object: string): this {
    return this.event({ pid: this.#pid(pid), op: "fsync", object: toName(object, "object") });
  }

  /** `- swapon NAME SIZE [prio=N]`. */
  swapon(name: string, size: NumLike, prio?: number): this {
    const ev: Event = {
      pid: 0,
      op: "swapon",
      name: toName(name, "name"),
      size: toNum(size, "SIZE"),
    };
    if (prio !== undefined) {
      if (!Number.isSafeInteger(prio)) throw new TypeError(`TraceBuilder: bad prio ${prio}`);
      ev.prio = prio;
    }
    return this.event(ev);
  }
  /** `- swapoff NAME`. */
  swapoff(name: string): this {
    return this.event({ pid: 0, op: "swapoff", name: toName(name, "name") });
  }
  /** `- reclaim PAGES`. */
  reclaim(pages: NumLike): this {
    return this.event({ pid: 0, op: "reclaim", pages: toNum(pages, "PAGES") });
  }
  /** `- mark LABEL`: a phase boundary. */
  mark(label: string): this {
    return this.event({ pid: 0, op: "mark", label: toName(label, "label") });
  }

  /** The header. */
  header(): TraceHeader {
    return structuredClone(this.#header);
  }
  /** The events so far (copies). */
  events(): Event[] {
    return this.#events.map((e) => ({ ...e }));
  }
  /** The trace as vmtrace v1 text. */
  text(): string {
    return formatTraceText(this.#header, this.#events);
  }
  /** The events in one {@linkcode EventBatch}; `line` of each event is its 1-based number. */
  batch(): EventBatch {
    const b = new EventBatch(Math.max(1, this.#events.length));
    this.#events.forEach((e, i) => b.push({ ...e, line: i + 1 }));
    return b;
  }

  #pid(pid: number): number {
    if (!Number.isInteger(pid) || pid < 1 || pid > 0x7fffffff) {
      throw new RangeError(`TraceBuilder: PID must be a positive integer, found ${pid}`);
    }
    return pid;
  }
  #range(op: "munmap" | "mlock" | "munlock" | "msync", pid: number, a: NumLike, l: NumLike): this {
    return this.event({ pid: this.#pid(pid), op, addr: toAddr(a, "ADDR"), len: toNum(l, "LEN") });
  }
  #access(op: "r" | "w" | "x", pid: number, a: NumLike, l: NumLike): this {
    return this.event({ pid: this.#pid(pid), op, addr: toAddr(a, "ADDR"), len: toNum(l, "LEN") });
  }
  #io(op: "read" | "write", pid: number, object: string, offset: NumLike, len: NumLike): this {
    return this.event({
      pid: this.#pid(pid),
      op,
      object: toName(object, "object"),
      offset: toNum(offset, "OFFSET"),
      len: toNum(len, "LEN"),
    });
  }
}

/**
 * A reproducible stream of `n` valid events covering every op in turn and the edges of every
 * field: addresses 0, just below and above 2^53, and 2^57-1; lengths 0, 1 and 2^53-1; PIDs up to
 * 2^31-1; negative swap priorities; optional fields present and absent; non-ASCII names. Meant
 * for round-trip tests of the trace forms, not for replay (the events make no sense together).
 *
 * @example
 * ```ts
 * import { randomEvents } from "./builder.ts";
 * const a = randomEvents(42, 100), b = randomEvents(42, 100);
 * if (JSON.stringify(a, (_, v) => typeof v === "bigint" ? `${v}n` : v) !==
 *     JSON.stringify(b, (_, v) => typeof v === "bigint" ? `${v}n` : v)) throw new Error("seeded");
 * ```
 */
export function randomEvents(seed: number, n: number): Event[] {
  const rng = Rng.fromState(seed);
  const rand = () => rng.next();
  const int = (k: number) => Math.floor(rand() * k);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const addr = (): Addr => {
    switch (int(8)) {
      case 0:
        return pick([0, 1, 4095, 4096, 2 ** 53 - 1]);
      case 1:
        return pick([2n ** 53n, 2n ** 53n + 1n, 2n ** 57n - 1n, 2n ** 56n + 0x123n]);
      case 2: {
        const a = BigInt(int(2 ** 30)) * 2n ** 27n + BigInt(int(4096)); // up to 2^57
        return a < 2n ** 53n ? Number(a) : a;
      }
      default:
        return 0x7f0000000000 + int(2 ** 30) * 4096 + (rand() < 0.3 ? int(4096) : 0);
    }
  };
  const size = (): number =>
    pick([0, 1, 7, 4096, 65536, 2 ** 20, 2 ** 30 * 3, 2 ** 53 - 1, int(2 ** 40), int(100000)]);
  const pid = (): number => pick([1, 2, 3, 17, 4242, 0x7fffffff, 1 + int(1000)]);
  const objects = ["file:/usr/lib/libc.so.6", "tmpfs:/dev/shm/x", "shm:42", "file:/tmp/é✓"];
  const kinds = ["private", "shared"];
  const extras = ["anon", "populate", "locked", "growsdown", "noreserve"];
  const flags = () => toFlags([pick(kinds), ...extras.filter(() => rand() < 0.3)].join(","));
  const out: Event[] = [];
  for (let k = 0; k < n; k++) {
    const op = OPS[k % OPS.length]!;
    const p = pid();
    let ev: Event;
    switch (op) {
      case "mmap":
        ev = { pid: p, op, addr: addr(), len: size(), prot: int(8), flags: flags() };
        if (rand() < 0.6) {
          ev.object = pick(objects);
          if (rand() < 0.5) ev.offset = int(2 ** 20) * 4096;
        }
        break;
      case "munmap":
      case "mlock":
      case "munlock":
      case "msync":
      case "r":
      case "w":
      case "x":
        ev = { pid: p, op, addr: addr(), len: rand() < 0.5 ? 1 : Math.min(size(), ACCESS_MAX) };
        break;
      case "mremap":
        ev = { pid: p, op, addr: addr(), len: size(), newAddr: addr(), newLen: size() };
        break;
      case "mprotect":
        ev = { pid: p, op, addr: addr(), len: size(), prot: int(8) };
        break;
      case "madvise":
        ev = { pid: p, op, addr: addr(), len: size(), advice: pick(ADVICES) };
        break;
      case "fork":
      case "clone":
        ev = { pid: p, op, child: pid() };
        break;
      case "exec":
      case "exit":
        ev = { pid: p, op };
        break;
      case "create":
      case "truncate":
        ev = { pid: p, op, object: pick(objects), size: size() };
        break;
      case "read":
      case "write":
        {
          // In range (limits.ts): one read/write moves at most RW_MAX, and ends below 2^53.
          const len = Math.min(size(), RW_MAX);
          ev = {
            pid: p,
            op,
            object: pick(objects),
            offset: Math.min(size(), 2 ** 53 - 1 - len),
            len,
          };
        }
        break;
      case "unlink":
      case "fsync":
        ev = { pid: p, op, object: pick(objects) };
        break;
      case "swapon":
        ev = {
          pid: 0,
          op,
          name: pick(["swap0", "zram0", "sda2"]),
          size: Math.min(size(), SWAP_MAX),
        };
        if (rand() < 0.5) ev.prio = pick([-2, -1, 0, 5, 32767]);
        break;
      case "swapoff":
        ev = { pid: 0, op, name: pick(["swap0", "zram0"]) };
        break;
      case "reclaim":
        ev = { pid: 0, op, pages: size() };
        break;
      case "mark":
        ev = { pid: 0, op, label: pick(["start", "after-fork", "phase:2", "ünïcode"]) };
        break;
    }
    out.push(ev);
  }
  return out;
}
