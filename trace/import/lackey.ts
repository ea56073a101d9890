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
import { type Event, MapFlag, PAGE_SIZE } from "../event.ts";
import { type Area, AreaMap } from "./area_map.ts";
import { ImportError, type ImportStats, newImportStats, recordWarning } from "./import_stats.ts";
import { type ByteSource, chunksOf, LineSplitter } from "./lines.ts";

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
}

/** Distinct recent pages remembered for coalescing. */
const WINDOW = 8;
const TWO53 = 2 ** 53;
const RWX = 7;
const INFERRED_FLAGS = MapFlag.private | MapFlag.anon;

/**
 * Turns lackey output into events, one line at a time (as bytes). Call
 * {@linkcode LackeyImporter.start} first (the snapshot's areas), {@linkcode LackeyImporter.line}
 * for every line, then {@linkcode LackeyImporter.finish}; events collect in
 * {@linkcode LackeyImporter.out}, which the caller empties.
 *
 * @example
 * ```ts
 * import { LackeyImporter } from "./lackey.ts";
 * const imp = new LackeyImporter({ instructions: false });
 * const enc = new TextEncoder();
 * for (const l of ["==42== Lackey", "I  0401000,3", " S 7ff000010,8", " M 7ff000010,4"]) {
 *   const b = enc.encode(l);
 *   imp.line(b, 0, b.length);
 * }
 * imp.finish();
 * const ops = imp.out.map((e) => `${e.pid} ${e.op}`).join(",");
 * if (ops !== "42 mmap,42 w,42 w,42 exit") throw new Error(ops);
 * ```
 */
export class LackeyImporter {
  /** Counts and warnings. */
  readonly stats: ImportStats = newImportStats();
  /** Events produced and not yet taken by the caller. */
  out: Event[] = [];
  #name: string;
  #instr: boolean;
  #coalesce: boolean;
  #areaPages: number;
  #pid: number;
  #pidSeen = false;
  #areas = new AreaMap();
  #initial: Area[];
  #lineNo = 0;
  // The area of the last access, to skip the lookup on the common path.
  #curStart = 0;
  #curEnd = 0;
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
    this.#areaPages = Math.max(1, Math.ceil((opts.areaSize ?? 1 << 20) / PAGE_SIZE));
    this.#pid = opts.pid ?? 1;
    this.#initial = opts.areas ?? [];
  }

  /** Emits the snapshot's areas as `mmap` events. */
  start(): void {
    for (const a of this.#initial) {
      this.#areas.map(a);
      const ev: Event = {
        pid: this.#pid,
        op: "mmap",
        addr: a.start * PAGE_SIZE,
        len: (a.end - a.start) * PAGE_SIZE,
        prot: a.prot,
        flags: a.flags,
      };
      if (a.object !== undefined) {
        ev.object = a.object;
        ev.offset = a.pgoff * PAGE_SIZE;
      }
      this.#emit(ev);
    }
  }

  /** Processes one line, `b[s, e)`. */
  line(b: Uint8Array, s: number, e: number): void {
    const lineNo = ++this.#lineNo;
    this.stats.lines++;
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
    else return this.#stray(lineNo, b, s, e);

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
    const strength = kind >= 2 ? 2 : 1;
    if (this.#coalesce && page === last && this.#seen(page, strength)) {
      this.stats.dropped++;
      return;
    }
    if (page < this.#curStart || last >= this.#curEnd) {
      this.#cover(page);
      if (last !== page) this.#cover(last);
      const a = this.#areas.find(page)!;
      this.#curStart = a.start;
      this.#curEnd = a.end;
    }
    this.stats.touches++;
    this.#emit({
      pid: this.#pid,
      op: kind === 0 ? "x" : kind === 1 ? "r" : "w",
      addr,
      len: size,
    });
  }

  /** Ends the input: the process exits. */
  finish(): void {
    this.#emit({ pid: this.#pid, op: "exit" });
  }

  #emit(ev: Event): void {
    this.stats.events++;
    this.out.push(ev);
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

  /** Makes sure `page` is in an area, inferring one if needed. */
  #cover(page: number): void {
    if (this.#areas.find(page)) return;
    const g = this.#areaPages;
    let start = Math.floor(page / g) * g;
    let end = start + g;
    for (const r of this.#areas.covered(start, end)) {
      if (r.end <= page) start = Math.max(start, r.end);
      else if (r.start > page) {
        end = Math.min(end, r.start);
        break;
      }
    }
    const area: Area = { start, end, prot: RWX, flags: INFERRED_FLAGS, pgoff: 0 };
    this.#areas.map(area);
    this.stats.inferredAreas++;
    this.#emit({
      pid: this.#pid,
      op: "mmap",
      addr: start * PAGE_SIZE,
      len: (end - start) * PAGE_SIZE,
      prot: RWX,
      flags: INFERRED_FLAGS,
    });
  }

  /** `==PID== text`: takes the PID from the first one. */
  #valgrindLine(b: Uint8Array, s: number, e: number): void {
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
        for (const ev of this.out) ev.pid = pid;
      }
      this.#pid = pid;
    } else if (pid !== this.#pid) {
      recordWarning(
        this.stats,
        this.#lineNo,
        `a second process (PID ${pid}) writes to this log; lackey lines carry no PID, so its ` +
          `accesses are attributed to PID ${this.#pid}. Use --log-file=trace.%p per process`,
      );
    }
  }

  #stray(lineNo: number, b: Uint8Array, s: number, e: number): void {
    // Program output mixed into the log: counted, the first few shown.
    this.stats.ignored["other lines"] = (this.stats.ignored["other lines"] ?? 0) + 1;
    if (this.#strayWarned < 10) {
      this.#strayWarned++;
      recordWarning(this.stats, lineNo, `not a lackey line; skipped: '${text(b, s, e)}'`);
    } else this.stats.warnings++;
  }

  #malformed(lineNo: number, b: Uint8Array, s: number, e: number, what: string): never {
    throw new ImportError(this.#name, lineNo, `expected ${what}, found '${text(b, s, e)}'`);
  }
}

function text(b: Uint8Array, s: number, e: number): string {
  const t = new TextDecoder().decode(b.subarray(s, Math.min(e, s + 80)));
  return e - s > 80 ? `${t}...` : t;
}

/**
 * Imports lackey output from `src` (file chunks, a stream or bytes), yielding events as each
 * chunk is parsed.
 *
 * @example
 * ```ts
 * import { importLackey } from "./lackey.ts";
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
  const imp = new LackeyImporter(opts);
  const splitter = new LineSplitter();
  const onLine = (b: Uint8Array, s: number, e: number) => imp.line(b, s, e);
  imp.start();
  for await (const chunk of chunksOf(src)) {
    splitter.push(chunk, onLine);
    if (imp.out.length > 0) {
      const out = imp.out;
      imp.out = [];
      yield* out;
    }
  }
  splitter.end(onLine);
  imp.finish();
  yield* imp.out;
  imp.out = [];
  opts.stats?.(imp.stats);
}
