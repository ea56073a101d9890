/**
 * Importing Valgrind lackey output (`valgrind --tool=lackey --trace-mem=yes`) into vmtrace
 * events.
 *
 * Lackey prints one line per access: `I  ADDR,SIZE` (instruction fetch), ` L ADDR,SIZE` (load),
 * ` S ADDR,SIZE` (store), ` M ADDR,SIZE` (modify: a load and a store by one instruction, which x86
 * performs as one write access, so it becomes a `w`), and Valgrind's own `==PID==` lines. It
 * records no mappings, so areas either come from a `/proc/PID/maps` snapshot or are inferred from
 * the addresses touched: the first access to a page outside every known area maps the aligned
 * block of `areaSize` bytes around it (clipped to the gap between known areas) as `rwx private,anon`.
 *
 * Traces reach tens of gigabytes: the importer parses bytes, line by line, without decoding text,
 * and keeps only a fixed amount of state besides the areas.
 *
 * @module
 */
import { EventBatch } from "../../batch.ts";
import { type Event, Op, PAGE_SIZE, Prot } from "../../event.ts";
import { type Area, AreaMap, eventOfArea } from "../area_map.ts";
import { AreaCover } from "../inferred_areas.ts";
import { BatchQueue } from "../batch_queue.ts";
import { ImportError, type ImportStats, newImportStats, recordWarning } from "../import_stats.ts";
import { printable } from "../../printable.ts";
import { type ByteSource, chunksOf } from "../../_io.ts";
import { ValgrindSyscalls } from "./syscalls.ts";
import { MAX_IMPORT_LINE } from "../../_lines.ts";

/** Options of {@linkcode LackeyImporter}. */
export interface LackeyImportOptions {
  /** Input name used in messages (default `lackey`). */
  name?: string;
  /** Keep instruction fetches (`I` lines) as `x` events (default true). */
  instructions?: boolean;
  /**
   * Drop an access to a page that one of the last few distinct pages accessed already got with
   * an access at least as strong (a store covers loads and fetches; default false).
   */
  coalesce?: boolean;
  /** Areas known at the start (from {@linkcode parseProcMaps}); emitted as `mmap` first. */
  areas?: Area[];
  /** Size in bytes of the blocks inferred around untracked addresses (default 1 MiB). */
  areaSize?: number;
  /** PID used until a `==PID==` line names the process (default 1). */
  pid?: number;
  /** Events per batch (default 4096). */
  batchSize?: number;
}

/** Distinct recent pages remembered for coalescing. */
const WINDOW = 8;
const TWO53 = 2 ** 53;
/** Value of each byte as a lower-case hex digit (lackey prints lower case), else -1. */
const HEX = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX[48 + i] = i;
for (let i = 0; i < 6; i++) HEX[97 + i] = 10 + i;

/**
 * Turns lackey output into events, one line at a time (as bytes). Call
 * {@linkcode LackeyImporter.start} first (the snapshot's areas), {@linkcode LackeyImporter.line}
 * for every line, then {@linkcode LackeyImporter.finish}; events collect in batches of
 * {@linkcode LackeyImporter.ready}, which the caller takes with {@linkcode LackeyImporter.take}.
 *
 * @example
 * ```ts
 * import { LackeyImporter } from "./importer.ts";
 * const imp = new LackeyImporter({ instructions: false });
 * const enc = new TextEncoder();
 * for (const l of ["==42== Lackey", "I  0401000,3", " S 7ff000010,8", " M 7ff000010,4"]) {
 *   const b = enc.encode(l);
 *   imp.line(b, 0, b.length);
 * }
 * imp.finish();
 * const ops = imp.take().flatMap((b) => [...Array(b.length).keys()].map((i) => b.get(i)))
 *   .map((e) => `${e.pid} ${e.op}`).join(",");
 * if (ops !== "42 mmap,42 w,42 w,42 exit") throw new Error(ops);
 * ```
 */
export class LackeyImporter {
  /** Counts and warnings. */
  readonly stats: ImportStats = newImportStats();
  /** Full batches not yet taken, then the batch being filled. */
  get ready(): EventBatch[] {
    return this.#q.ready;
  }
  #q: BatchQueue;
  #name: string;
  #instr: boolean;
  #coalesce: boolean;
  #pid: number;
  #pidSeen = false;
  #areas = new AreaMap();
  #cover: AreaCover;
  #initial: Area[];
  #lineNo = 0;
  // Coalescing window: recent pages and the strongest access each got (1 read/fetch, 2 write).
  #winPage = new Float64Array(WINDOW).fill(-1);
  #winStrength = new Uint8Array(WINDOW);
  #winNext = 0;
  #strayWarned = 0;

  /** Makes an importer; see {@linkcode LackeyImportOptions}. */
  constructor(opts: LackeyImportOptions = {}) {
    this.#name = opts.name ?? "lackey";
    this.#instr = opts.instructions ?? true;
    this.#coalesce = opts.coalesce ?? false;
    this.#pid = opts.pid ?? 1;
    this.#initial = opts.areas ?? [];
    this.#q = new BatchQueue(opts.batchSize ?? 4096);
    this.#cover = new AreaCover(this.#areas, {
      areaSize: opts.areaSize ?? 1 << 20,
      onInfer: (a) => {
        this.stats.inferredAreas++;
        this.#emit(eventOfArea(this.#pid, a));
      },
      onForbidden: (a, need) => this.#widen(a, need),
    });
  }

  /**
   * Takes the batches filled so far (and the partly filled one). They stay valid until the next
   * call of `take`, which recycles them.
   */
  take(): EventBatch[] {
    this.#syncCounts();
    return this.#q.take();
  }

  /** Emits the snapshot's areas as `mmap` events. */
  start(): void {
    for (const a of this.#initial) {
      this.#areas.map(a);
      this.#emit(eventOfArea(this.#pid, a));
    }
  }

  /** Processes one line, `b[s, e)`. */
  line(b: Uint8Array, s: number, e: number): void {
    const lineNo = ++this.#lineNo;
    if (e - s < 4) {
      if (e > s) this.#stray(lineNo, b, s, e);
      return;
    }
    const c0 = b[s]!;
    let kind: number; // 0 fetch, 1 load, 2 store, 3 modify
    if (c0 === 73 /* I */ && b[s + 1] === 32 && b[s + 2] === 32) kind = 0;
    else if (c0 === 32 && b[s + 2] === 32) {
      const c1 = b[s + 1];
      if (c1 === 76 /* L */) kind = 1;
      else if (c1 === 83 /* S */) kind = 2;
      else if (c1 === 77 /* M */) kind = 3;
      else return this.#stray(lineNo, b, s, e);
    } else if (c0 === 61 /* = */ && b[s + 1] === 61) return this.#valgrindLine(b, s, e);
    else if (c0 === 83 /* S */ && b[s + 1] === 89 /* Y */) {
      const t = new TextDecoder().decode(b.subarray(s, e));
      if (t.startsWith("SYSCALL[")) return this.#syscalls(t);
      return this.#stray(lineNo, b, s, e);
    } else return this.#stray(lineNo, b, s, e);

    // ADDR (hex) , SIZE (decimal)
    let p = s + 3;
    while (p < e && b[p] === 32) p++;
    let addr = 0;
    const a0 = p;
    for (; p < e; p++) {
      const c = b[p]!;
      let d: number;
      if (c >= 48 && c <= 57) d = c - 48;
      else if (c >= 97 && c <= 102) d = c - 87;
      else if (c >= 65 && c <= 70) d = c - 55;
      else break;
      addr = addr * 16 + d;
    }
    if (p === a0 || b[p] !== 44 /* , */) this.#malformed(lineNo, b, s, e, "a hex address and ','");
    p++;
    let size = 0;
    const s0 = p;
    for (; p < e; p++) {
      const c = b[p]!;
      if (c < 48 || c > 57) break;
      size = size * 10 + (c - 48);
    }
    while (p < e && b[p] === 32) p++;
    if (p === s0 || p !== e) this.#malformed(lineNo, b, s, e, "a decimal size after ','");
    this.#access(kind, addr, size);
  }

  /**
   * Processes a chunk of input: every line it completes (the tail waits for the next chunk).
   * Access lines are parsed in one pass over the bytes; anything else goes through
   * {@linkcode LackeyImporter.line}. Call {@linkcode LackeyImporter.end} after the last chunk.
   */
  push(buf: Uint8Array): void {
    let pos = 0;
    const n = buf.length;
    if (this.#carry) {
      const nl = buf.indexOf(10);
      if (nl < 0) {
        if (this.#carry.length + n > MAX_IMPORT_LINE) this.#tooLong();
        const joined = new Uint8Array(this.#carry.length + n);
        joined.set(this.#carry);
        joined.set(buf, this.#carry.length);
        this.#carry = joined;
        return;
      }
      const line = new Uint8Array(this.#carry.length + nl);
      line.set(this.#carry);
      line.set(buf.subarray(0, nl), this.#carry.length);
      this.#carry = null;
      this.line(line, 0, line[line.length - 1] === 13 ? line.length - 1 : line.length);
      pos = nl + 1;
    }
    // Only whole lines are parsed here: every read below stops at a `\n` before `limit`.
    const limit = buf.lastIndexOf(10) + 1;
    if (limit <= pos) {
      if (n - pos > MAX_IMPORT_LINE) this.#tooLong();
      if (pos < n) this.#carry = buf.slice(pos);
      return;
    }
    while (pos < limit) {
      const c0 = buf[pos]!;
      let kind = -1;
      if (c0 === 73) {
        if (buf[pos + 1] === 32 && buf[pos + 2] === 32) kind = 0;
      } else if (c0 === 32 && buf[pos + 2] === 32) {
        const c1 = buf[pos + 1]!;
        kind = c1 === 76 ? 1 : c1 === 83 ? 2 : c1 === 77 ? 3 : -1;
      }
      if (kind >= 0) {
        let p = pos + 3;
        let addr = 0;
        let c = buf[p]!;
        let d = HEX[c]!;
        while (d >= 0) {
          addr = addr * 16 + d;
          c = buf[++p]!;
          d = HEX[c]!;
        }
        if (c === 44 && p > pos + 3) {
          let size = 0;
          c = buf[++p]!;
          const s0 = p;
          while (c >= 48 && c <= 57) {
            size = size * 10 + (c - 48);
            c = buf[++p]!;
          }
          if (c === 10 && p > s0) {
            this.#lineNo++;
            this.#access(kind, addr, size);
            pos = p + 1;
            continue;
          }
        }
      }
      // Anything else goes through the general path.
      const nl = buf.indexOf(10, pos);
      this.line(buf, pos, nl > pos && buf[nl - 1] === 13 ? nl - 1 : nl);
      pos = nl + 1;
    }
    if (limit < n) {
      if (n - limit > MAX_IMPORT_LINE) this.#tooLong();
      this.#carry = buf.slice(limit);
    }
  }
  #carry: Uint8Array | null = null;

  /** Ends the input after the last {@linkcode LackeyImporter.push}: a last unterminated line. */
  end(): void {
    const c = this.#carry;
    this.#carry = null;
    if (!c || c.length === 0) return;
    try {
      this.line(c, 0, c[c.length - 1] === 13 ? c.length - 1 : c.length);
    } catch (e) {
      // A log cut short (Valgrind killed, disk full) ends in half a line: not worth an error.
      if (!(e instanceof ImportError)) throw e;
      recordWarning(
        this.stats,
        this.#lineNo,
        `the last line is incomplete (the log was cut short); skipped`,
      );
    }
  }

  /** One access: kind 0 fetch, 1 load, 2 store, 3 modify. */
  #access(kind: number, addr: number, size: number): void {
    this.#recognized = true;
    if (kind === 0 && !this.#instr) {
      this.stats.dropped++;
      return;
    }
    if (addr >= TWO53 || addr + size >= 2 ** 48) {
      // The legacy vsyscall page and other kernel addresses are not in any user area.
      this.stats.ignored["kernel address"] = (this.stats.ignored["kernel address"] ?? 0) + 1;
      return;
    }
    if (size === 0) size = 1;
    const page = Math.floor(addr / PAGE_SIZE);
    const last = Math.floor((addr + size - 1) / PAGE_SIZE);
    if (this.#coalesce && page === last && this.#seen(page, kind >= 2 ? 2 : 1)) {
      this.stats.dropped++;
      return;
    }
    this.#cover.ensure(page, last, kind === 0 ? Prot.exec : kind === 1 ? Prot.read : Prot.write);
    this.#kept++;
    // Written column by column: no object per access.
    let bt = this.#q.current;
    if (bt.length >= bt.capacity) bt = this.#q.room();
    bt.pushAccess(
      kind === 0 ? Op.x : kind === 1 ? Op.r : Op.w,
      this.#pid,
      page,
      addr - page * PAGE_SIZE,
      size,
      0,
    );
  }

  /** Accesses kept since the last {@linkcode LackeyImporter.take} (counted here: hot path). */
  #kept = 0;

  #syncCounts(): void {
    this.stats.touches += this.#kept;
    this.stats.events += this.#kept;
    this.#kept = 0;
  }

  /** Ends the input: the process exits. Throws an ImportError when nothing was lackey output. */
  finish(): void {
    this.stats.lines = this.#lineNo;
    this.#syncCounts();
    if (!this.#lackeySeen()) {
      throw new ImportError(
        this.#name,
        0,
        `no Valgrind lackey output in ${this.#lineNo} lines: expected lines like ' L 1ffefffd40,8' ` +
          `(valgrind --tool=lackey --trace-mem=yes --log-file=FILE COMMAND)`,
      );
    }
    this.#emit({ pid: this.#pid, op: "exit" });
  }

  #emit(ev: Event): void {
    this.stats.events++;
    this.#q.push(ev);
  }

  /** True if `page` was recently accessed at least this strongly; records the access. */
  #seen(page: number, strength: number): boolean {
    const wp = this.#winPage;
    for (let i = 0; i < WINDOW; i++) {
      if (wp[i] === page) {
        if (this.#winStrength[i]! >= strength) return true;
        this.#winStrength[i] = strength;
        return false;
      }
    }
    const k = this.#winNext;
    wp[k] = page;
    this.#winStrength[k] = strength;
    this.#winNext = (k + 1) % WINDOW;
    return false;
  }

  /**
   * An access the area's protection forbids: the maps snapshot was taken later (after a RELRO
   * mprotect, say). The area gets the permission back through an `mprotect`, counted as a warning.
   */
  #widen(area: Area, need: number): void {
    const prot = area.prot | need | Prot.read;
    recordWarning(
      this.stats,
      this.#lineNo,
      `a ${need === Prot.write ? "store" : need === Prot.exec ? "fetch" : "load"} at page ` +
        `0x${area.start.toString(16)}000.. which the maps snapshot does not allow; mprotect to ` +
        `${protText(prot)} added (the snapshot was taken after the protection changed)`,
    );
    this.#emit({
      pid: this.#pid,
      op: "mprotect",
      addr: area.start * PAGE_SIZE,
      len: (area.end - area.start) * PAGE_SIZE,
      prot,
    });
    area.prot = prot;
    this.#cover.invalidate();
  }

  /** `SYSCALL[...]` lines of Valgrind's `--trace-syscalls=yes` (see {@linkcode ValgrindSyscalls}). */
  /** Whether any line so far was lackey's or Valgrind's own (an access, `==PID==`, `SYSCALL[`). */
  #lackeySeen(): boolean {
    return this.#recognized;
  }
  #recognized = false;

  #syscalls(text: string): void {
    this.#recognized = true;
    const before = this.stats.handled;
    this.#vg.apply(text, this.#areas, this.#pid, (ev) => this.#emit(ev), this.stats);
    if (this.stats.handled !== before) this.#cover.invalidate();
  }
  #vg = new ValgrindSyscalls();
  #otherPids = new Set<number>();

  /** `==PID== text`: takes the PID from the first one. */
  #valgrindLine(b: Uint8Array, s: number, e: number): void {
    this.#recognized = true;
    let p = s + 2;
    let pid = 0;
    for (; p < e; p++) {
      const c = b[p]!;
      if (c < 48 || c > 57) break;
      pid = pid * 10 + (c - 48);
    }
    if (b[p] !== 61 || pid === 0) return;
    if (!this.#pidSeen) {
      this.#pidSeen = true;
      if (this.stats.events > 0 && pid !== this.#pid) {
        for (const b of [...this.ready, this.#q.current]) b.pid.fill(pid, 0, b.length);
      }
      this.#pid = pid;
    } else if (pid !== this.#pid && !this.#otherPids.has(pid)) {
      this.#otherPids.add(pid);
      recordWarning(
        this.stats,
        this.#lineNo,
        `a second process (PID ${pid}) writes to this log; lackey lines carry no PID, so its ` +
          `accesses are attributed to PID ${this.#pid}. Use --log-file=trace.%p per process`,
      );
    }
  }

  #stray(lineNo: number, b: Uint8Array, s: number, e: number): void {
    if (e - s > 5 && b[s] === 32 && b[s + 1] === 45 && b[s + 2] === 45 && b[s + 3] === 62) {
      // " --> Success(...)": the late result of a --trace-syscalls call (not modelled).
      this.stats.ignored["late syscall results"] =
        (this.stats.ignored["late syscall results"] ?? 0) + 1;
      return;
    }
    // Binary data before any lackey line: not a lackey log at all (a wrong file).
    if (!this.#lackeySeen() && binary(b, s, e)) {
      throw new ImportError(
        this.#name,
        lineNo,
        "binary data, not Valgrind lackey output (a text log of lines like ' L 1ffefffd40,8')",
      );
    }
    // Program output mixed into the log: counted, the first few shown.
    this.stats.ignored["other lines"] = (this.stats.ignored["other lines"] ?? 0) + 1;
    if (this.#strayWarned < 10) {
      this.#strayWarned++;
      recordWarning(this.stats, lineNo, `not a lackey line; skipped: '${text(b, s, e)}'`);
    } else this.stats.warnings++;
  }

  #tooLong(): never {
    throw new ImportError(
      this.#name,
      this.#lineNo + 1,
      `line longer than ${MAX_IMPORT_LINE} bytes: not Valgrind lackey output`,
    );
  }

  #malformed(lineNo: number, b: Uint8Array, s: number, e: number, what: string): never {
    throw new ImportError(this.#name, lineNo, `expected ${what}, found '${text(b, s, e)}'`);
  }
}

function protText(p: number): string {
  return `${p & Prot.read ? "r" : "-"}${p & Prot.write ? "w" : "-"}${p & Prot.exec ? "x" : "-"}`;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** Whether `b[s, e)` is not text: a NUL or another control byte, or bytes that are not UTF-8. */
function binary(b: Uint8Array, s: number, e: number): boolean {
  for (let p = s; p < e; p++) {
    const c = b[p]!;
    if (c < 32 && c !== 9 && c !== 13 && c !== 27) return true;
  }
  try {
    strictUtf8.decode(b.subarray(s, e));
    return false;
  } catch {
    return true;
  }
}

function text(b: Uint8Array, s: number, e: number): string {
  const t = printable(new TextDecoder().decode(b.subarray(s, Math.min(e, s + 80))));
  return e - s > 80 ? `${t}...` : t;
}

/**
 * Imports lackey output from `src` (file chunks, a stream or bytes), yielding batches of events
 * as each chunk is parsed. A batch is valid until the next one is requested (batches are
 * recycled), which is what {@linkcode writeTraceBatches} expects.
 *
 * @example
 * ```ts
 * import { importLackeyBatches } from "./importer.ts";
 * const src = new TextEncoder().encode("I  401000,2\n L 1000,4\n");
 * let n = 0;
 * for await (const b of importLackeyBatches(src)) n += b.length;
 * if (n !== 5) throw new Error(`expected mmap, x, mmap, r, exit; got ${n} events`);
 * ```
 */
export async function* importLackeyBatches(
  src: ByteSource,
  opts: LackeyImportOptions & { stats?: (s: ImportStats) => void } = {},
): AsyncIterableIterator<EventBatch> {
  const imp = new LackeyImporter(opts);
  imp.start();
  for await (const chunk of chunksOf(src)) {
    imp.push(chunk);
    if (imp.ready.length > 0) yield* imp.take();
  }
  imp.end();
  imp.finish();
  yield* imp.take();
  opts.stats?.(imp.stats);
}

/**
 * Imports lackey output from `src`, yielding one {@linkcode Event} object per event (simpler,
 * slower than {@linkcode importLackeyBatches}).
 *
 * @example
 * ```ts
 * import { importLackey } from "./importer.ts";
 * const src = new TextEncoder().encode(" L 1000,4\n L 1004,4\n S 1008,8\n");
 * const ops: string[] = [];
 * for await (const ev of importLackey(src, { coalesce: true })) ops.push(ev.op);
 * if (ops.join(" ") !== "mmap r w exit") throw new Error(ops.join(" "));
 * ```
 */
export async function* importLackey(
  src: ByteSource,
  opts: LackeyImportOptions & { stats?: (s: ImportStats) => void } = {},
): AsyncIterableIterator<Event> {
  for await (const b of importLackeyBatches(src, opts)) {
    for (let i = 0; i < b.length; i++) yield b.get(i);
  }
}
