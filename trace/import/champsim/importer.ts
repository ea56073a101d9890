/**
 * Importing ChampSim traces into vmtrace events.
 *
 * A ChampSim trace is a sequence of 64-byte `input_instr` records, little-endian: `ip` (u64),
 * `is_branch` (u8), `branch_taken` (u8), `destination_registers` (u8[2]), `source_registers`
 * (u8[4]), `destination_memory` (u64[2]) and `source_memory` (u64[4]). One instruction of one
 * program per record: each nonzero `source_memory` is a load (`r`), each nonzero
 * `destination_memory` a store (`w`), in that order, after the instruction's fetch (`x` of `ip`)
 * when fetches are kept. ChampSim records no access sizes (an access is one byte) and no
 * mappings: the first access to a page outside every area maps the aligned block of `areaSize`
 * bytes around it `rwx private,anon` (as the lackey importer does without a maps snapshot), so the
 * replay meets no access to unmapped memory.
 *
 * The traces reach gigabytes (usually `.xz`-compressed): records are decoded from the byte
 * stream as it comes, straight into batches of events, in constant memory.
 *
 * @module
 */
import { type Event, Op, PAGE_SIZE, Prot } from "../../event.ts";
import { AreaMap, eventOfArea } from "../area_map.ts";
import { BatchQueue } from "../batch_queue.ts";
import type { EventBatch } from "../../batch.ts";
import { type ImportStats, newImportStats, recordWarning } from "../import_stats.ts";
import { AreaCover } from "../inferred_areas.ts";
import { type ByteSource, chunksOf } from "../../_io.ts";

/** Bytes of one `input_instr` record. */
export const CHAMPSIM_RECORD_SIZE = 64;
/** Offset of `destination_memory` (2 × u64) in a record. */
const DEST = 16;
/** Offset of `source_memory` (4 × u64) in a record. */
const SRC = 32;
/** Addresses at or above this (the high 32 bits) are not user addresses (2^48). */
const USER_HIGH_LIMIT = 0x10000;
const TWO32 = 2 ** 32;

/** Options of {@linkcode ChampSimImporter}. */
export interface ChampSimImportOptions {
  /** Keep each instruction's fetch as an `x` of its `ip` (default false). */
  instructions?: boolean;
  /** Size in bytes of the blocks mapped around untracked addresses (default 1 MiB). */
  areaSize?: number;
  /** The process's PID (default 1). */
  pid?: number;
  /** Events per batch (default 4096). */
  batchSize?: number;
}

/**
 * Turns ChampSim records into events. Feed the bytes with {@linkcode ChampSimImporter.push}
 * (chunks of any size: a record may straddle two), then call
 * {@linkcode ChampSimImporter.finish}; events collect in batches the caller takes with
 * {@linkcode ChampSimImporter.take}.
 *
 * @example
 * ```ts
 * import { ChampSimImporter } from "./importer.ts";
 * const rec = new DataView(new ArrayBuffer(64));
 * rec.setBigUint64(0, 0x401000n, true); // ip
 * rec.setBigUint64(16, 0x7f0000000010n, true); // destination_memory[0]: a store
 * rec.setBigUint64(32, 0x601000n, true); // source_memory[0]: a load
 * const imp = new ChampSimImporter();
 * imp.push(new Uint8Array(rec.buffer));
 * imp.finish();
 * const ops = imp.take().flatMap((b) => [...Array(b.length).keys()].map((i) => b.get(i).op));
 * if (ops.join(" ") !== "mmap r mmap w exit") throw new Error(ops.join(" "));
 * ```
 */
export class ChampSimImporter {
  /** Counts and warnings (`touches`: loads and stores kept; `lines`: records read). */
  readonly stats: ImportStats = newImportStats();
  #q: BatchQueue;
  #instr: boolean;
  #pid: number;
  #cover: AreaCover;
  /** Bytes of a record cut by the end of the last chunk. */
  #carry = new Uint8Array(CHAMPSIM_RECORD_SIZE);
  #carried = 0;
  #records = 0;
  #kept = 0;

  /** Makes an importer; see {@linkcode ChampSimImportOptions}. */
  constructor(opts: ChampSimImportOptions = {}) {
    this.#instr = opts.instructions ?? false;
    this.#pid = opts.pid ?? 1;
    this.#q = new BatchQueue(opts.batchSize ?? 4096);
    this.#cover = new AreaCover(new AreaMap(), {
      areaSize: opts.areaSize ?? 1 << 20,
      onInfer: (a) => {
        this.stats.inferredAreas++;
        this.#emit(eventOfArea(this.#pid, a));
      },
    });
  }

  /** Full batches not yet taken. */
  get ready(): EventBatch[] {
    return this.#q.ready;
  }

  /** Takes the batches filled so far; they stay valid until the next `take`. */
  take(): EventBatch[] {
    this.#sync();
    return this.#q.take();
  }

  /** Decodes the whole records of `bytes` (with the part of one the previous chunk cut). */
  push(bytes: Uint8Array): void {
    let pos = 0;
    if (this.#carried > 0) {
      const need = CHAMPSIM_RECORD_SIZE - this.#carried;
      const n = Math.min(need, bytes.length);
      this.#carry.set(bytes.subarray(0, n), this.#carried);
      this.#carried += n;
      pos = n;
      if (this.#carried < CHAMPSIM_RECORD_SIZE) return;
      this.#carried = 0;
      this.#record(new DataView(this.#carry.buffer), 0);
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const whole = pos + Math.floor((bytes.length - pos) / CHAMPSIM_RECORD_SIZE) *
        CHAMPSIM_RECORD_SIZE;
    for (; pos < whole; pos += CHAMPSIM_RECORD_SIZE) this.#record(view, pos);
    if (pos < bytes.length) {
      this.#carry.set(bytes.subarray(pos));
      this.#carried = bytes.length - pos;
    }
  }

  /** Ends the input: a record cut short is a warning; the process exits. */
  finish(): void {
    if (this.#carried > 0) {
      recordWarning(
        this.stats,
        this.#records + 1,
        `the last ${this.#carried} bytes are not a whole ${CHAMPSIM_RECORD_SIZE}-byte record ` +
          `(the trace was cut short); skipped`,
      );
      this.#carried = 0;
    }
    this.#sync();
    this.stats.lines = this.#records;
    this.#emit({ pid: this.#pid, op: "exit" });
  }

  /** One record at `view[at, at + 64)`. */
  #record(view: DataView, at: number): void {
    this.#records++;
    if (this.#instr) this.#access(Op.x, view, at);
    for (let k = 0; k < 4; k++) this.#access(Op.r, view, at + SRC + 8 * k);
    for (let k = 0; k < 2; k++) this.#access(Op.w, view, at + DEST + 8 * k);
  }

  /** The access `op` of the u64 address at `view[at]`, unless it is 0. */
  #access(op: number, view: DataView, at: number): void {
    const lo = view.getUint32(at, true);
    const hi = view.getUint32(at + 4, true);
    if (lo === 0 && hi === 0) return;
    if (hi >= USER_HIGH_LIMIT) {
      this.stats.ignored["kernel address"] = (this.stats.ignored["kernel address"] ?? 0) + 1;
      return;
    }
    const addr = hi * TWO32 + lo;
    const page = Math.floor(addr / PAGE_SIZE);
    this.#cover.ensure(page, page, op === Op.x ? Prot.exec : op === Op.r ? Prot.read : Prot.write);
    let bt = this.#q.current;
    if (bt.length >= bt.capacity) bt = this.#q.room();
    bt.pushAccess(op, this.#pid, page, addr - page * PAGE_SIZE, 1, 0);
    if (op !== Op.x) this.#kept++;
    else this.stats.events++;
  }

  #emit(ev: Event): void {
    this.stats.events++;
    this.#q.push(ev);
  }

  /** Moves the hot path's count into the stats. */
  #sync(): void {
    this.stats.touches += this.#kept;
    this.stats.events += this.#kept;
    this.#kept = 0;
  }
}

/**
 * Imports a ChampSim trace from `src` (file chunks, a stream or bytes), yielding batches of
 * events as each chunk is decoded. A batch is valid until the next one is requested (batches are
 * recycled), which is what `writeTraceBatches` expects.
 *
 * @example
 * ```ts
 * import { importChampSimBatches } from "./importer.ts";
 * const rec = new DataView(new ArrayBuffer(128)); // two records
 * rec.setBigUint64(32, 0x601000n, true); // a load in the first
 * rec.setBigUint64(64 + 40, 0x601008n, true); // source_memory[1] of the second
 * let loads = 0;
 * for await (const b of importChampSimBatches(new Uint8Array(rec.buffer))) {
 *   for (let i = 0; i < b.length; i++) if (b.get(i).op === "r") loads++;
 * }
 * if (loads !== 2) throw new Error(`${loads} loads`);
 * ```
 */
export async function* importChampSimBatches(
  src: ByteSource,
  opts: ChampSimImportOptions & { stats?: (s: ImportStats) => void } = {},
): AsyncIterableIterator<EventBatch> {
  const imp = new ChampSimImporter(opts);
  for await (const chunk of chunksOf(src)) {
    imp.push(chunk);
    if (imp.ready.length > 0) yield* imp.take();
  }
  imp.finish();
  yield* imp.take();
  opts.stats?.(imp.stats);
}
