/**
 * {@linkcode VmtbDecoder}: reads the binary `.vmtb` form, version 2 (see docs/vmtb.md), straight
 * into {@linkcode EventBatch} columns, a block at a time, allocating nothing per event. Each
 * column of a block is decoded by its own short loop.
 *
 * @module
 */
import { EventBatch, HAS_OFFSET, HAS_PRIO } from "../batch.ts";
import { ADVICES, Op, OPS, SYSTEM_OPS, type TraceHeader } from "../event.ts";
import { checkFlagBits } from "../syntax.ts";
import { mmapOffsetProblem } from "../check.ts";
import { TraceError } from "../error.ts";
import type { ChunkReader, FormDecoder } from "../_io.ts";
import { parseHeaderLine } from "../_header.ts";
import { ACCESS_MAX, accessLenProblem, rwProblem, swaponSizeProblem } from "../../uapi/limits.ts";
import { checksum } from "./checksum.ts";
import {
  ADDR_OPS,
  BLOCK_HAS_LENGTHS,
  BLOCK_HAS_OFFSETS,
  CHECKSUM_BYTES,
  ESCAPE,
  REC_BLOCK,
  REC_BLOCK_V2,
  REC_END,
  SMALL_HAS_OBJECT,
  VMTB_BLOCK,
  VMTB_MAGIC,
  VMTB_MAX_BODY,
  VMTB_MAX_STRING,
  VMTB_VERSION,
} from "./constants.ts";

/** Bytes that hold any block's head (its byte, two varints), or the end marker and its count. */
const HEAD = 32;
/**
 * The input buffer: room for the largest block and as much again, so a refill (when the next
 * block is not all there) moves only the part of a block left at the end and reads about 1 MiB.
 */
const BUF = 2 * VMTB_MAX_BODY + 2 * HEAD;
const dec = new TextDecoder();
const SYSTEM = new Uint8Array(32);
for (const name of SYSTEM_OPS) SYSTEM[Op[name]] = 1;
/** 1 for each byte that is not the op code of r, w or x: the events with an extra part. */
const EXTRA = new Uint8Array(256).fill(1);
EXTRA[Op.r] = EXTRA[Op.w] = EXTRA[Op.x] = 0;
/** Page numbers at or above this are addresses of 2^57 or more. */
const TWO45 = 2 ** 45;
/** Pids below this are their own slot in the last-page table; larger ones get a slot from a Map. */
const SMALL_PIDS = 1 << 16;

/** Where the last {@linkcode varint} call stopped (a module variable, so the call allocates nothing). */
let gp = 0;

/** Reads a varint at `p` of `buf` (little-endian base 128, up to 2^53); sets {@linkcode gp}. */
function varint(buf: Uint8Array, p: number): number {
  let b = buf[p++]!;
  if (b < 128) {
    gp = p;
    return b;
  }
  let v = b & 127, mult = 128;
  do {
    b = buf[p++]!;
    v += (b & 127) * mult;
    mult *= 128;
  } while (b >= 128 && mult < 2 ** 56);
  gp = p;
  return v;
}

/** The signed value of a zigzag-encoded non-negative integer. */
function unzigzag(z: number): number {
  return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
}

// The loops over a block's columns, each a small function of its own: V8 compiles (and
// optimizes) small functions sooner than one large one, which shortens a decoder's cold start.

/**
 * True on a little-endian host (every platform Deno runs on), where the byte columns are read four
 * bytes at a time as 32-bit words and the column of two-byte offsets is copied as it is; a
 * big-endian host reads them byte by byte ({@linkcode byteColumn}, {@linkcode offsetBytes}).
 */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Room for the values of a byte column's last word, which may hold fewer than four. */
const LAST4 = new Float64Array(4);

/**
 * Reads the `n >= 1` page-delta bytes of a block, four at a time as the words of `s32`,
 * into `pagec[i0 ...]`, zigzag-decoded (the escaped ones are patched in afterwards). The last word,
 * which may hold fewer than four, goes through {@linkcode LAST4}: no loop over single bytes, whose
 * code V8 would compile without having seen it run and then deoptimize.
 */
function pageBytes(
  s32: Int32Array,
  pagec: Float64Array,
  i0: number,
  n: number,
): void {
  const m = (n - 1) >> 2;
  let i = i0;
  for (let w = 0; w < m; w++, i += 4) {
    const x = s32[w]!;
    const a = x & 255, b = (x >>> 8) & 255, c = (x >>> 16) & 255, d = x >>> 24;
    pagec[i] = (a >>> 1) ^ (0 - (a & 1));
    pagec[i + 1] = (b >>> 1) ^ (0 - (b & 1));
    pagec[i + 2] = (c >>> 1) ^ (0 - (c & 1));
    pagec[i + 3] = (d >>> 1) ^ (0 - (d & 1));
  }
  const x = s32[m]!;
  const a = x & 255, b = (x >>> 8) & 255, c = (x >>> 16) & 255, d = x >>> 24;
  LAST4[0] = (a >>> 1) ^ (0 - (a & 1));
  LAST4[1] = (b >>> 1) ^ (0 - (b & 1));
  LAST4[2] = (c >>> 1) ^ (0 - (c & 1));
  LAST4[3] = (d >>> 1) ^ (0 - (d & 1));
  pagec.set(LAST4.subarray(0, n - 4 * m), i);
}

/**
 * Turns the page deltas of events `i0 ...` into pages: a running sum per pid run, from each
 * process's last page; writes the event numbers (`lineAt + i`) on the way. Returns the first
 * event whose page is out of range, or -1.
 */
function sumPerRun(
  pagec: Float64Array,
  linec: Float64Array,
  lineAt: number,
  lastPage: Float64Array,
  runSlot: Int32Array,
  runLen: Int32Array,
  runs: number,
  i0: number,
): number {
  let i = i0;
  for (let r = 0; r < runs; r++) {
    const slot = runSlot[r]!;
    const stop = i + runLen[r]!;
    let cur = lastPage[slot]!;
    for (; i < stop; i++) {
      cur += pagec[i]!;
      if (cur < 0 || cur >= TWO45) return i;
      pagec[i] = cur;
      linec[i] = lineAt + i;
    }
    lastPage[slot] = cur;
  }
  return -1;
}

/** As {@linkcode sumPerRun}, event by event through each event's slot (for short runs). */
function sumPerEvent(
  pagec: Float64Array,
  linec: Float64Array,
  lineAt: number,
  lastPage: Float64Array,
  eventSlot: Int32Array,
  i0: number,
  iend: number,
): number {
  for (let i = i0; i < iend; i++) {
    const slot = eventSlot[i - i0]!;
    const cur = lastPage[slot]! + pagec[i]!;
    if (cur < 0 || cur >= TWO45) return i;
    pagec[i] = cur;
    lastPage[slot] = cur;
    linec[i] = lineAt + i;
  }
  return -1;
}

/**
 * Lists in `extraAt` the events `i0 + j` whose op (`ops8[j]`, `j < n`) has an extra part (is not
 * r, w or x) and returns how many. The ops are read four at a time (`ops32`, the same bytes,
 * padded with r ops to a multiple of four): a word of four r/w/x ops (codes 12 to 14) has no byte
 * below 12 and none above 14, which two carry-free tests tell for all four at once.
 */
function extrasOf(
  ops8: Uint8Array,
  ops32: Int32Array,
  extraAt: Int32Array,
  i0: number,
  n: number,
): number {
  let extras = 0;
  for (let w = 0, m = (n + 3) >> 2; w < m; w++) {
    const v = ops32[w]!;
    if (((((v - 0x0c0c0c0c) & ~v) | ((v + 0x71717171) | v)) & 0x80808080) !== 0) {
      for (let j = 4 * w, jend = Math.min(j + 4, n); j < jend; j++) {
        if (EXTRA[ops8[j]!] === 1) extraAt[extras++] = i0 + j;
      }
    }
  }
  return extras;
}

/**
 * Copies the `n` two-byte little-endian offsets at `buf[p]` into `offc[i0 ...]` through the
 * aligned scratch bytes `s8` (viewed as `s16` and `s32`): two block copies, then one OR per
 * pair of offsets. Returns true when one of them is above 4095. Little-endian hosts only.
 */
function offsetsCopy(
  buf: Uint8Array,
  p: number,
  n: number,
  offc: Uint16Array,
  i0: number,
  s8: Uint8Array,
  s16: Uint16Array,
  s32: Int32Array,
): boolean {
  s8.set(buf.subarray(p, p + 2 * n));
  s16[n] = 0; // the other half of the last word when n is odd
  offc.set(s16.subarray(0, n), i0);
  let all = 0;
  for (let j = 0, m = (n + 1) >> 1; j < m; j++) all |= s32[j]!;
  return (all & 0xf000f000) !== 0;
}

/** Reads the bytes `s8[j]` (`j < n`) into `col[i0 + j]`, zigzag-decoded if `zigzag`: big-endian hosts. */
function byteColumn(
  s8: Uint8Array,
  col: Float64Array,
  i0: number,
  n: number,
  zigzag: boolean,
): void {
  for (let j = 0; j < n; j++) {
    const v = s8[j]!;
    col[i0 + j] = zigzag ? (v >>> 1) ^ (0 - (v & 1)) : v;
  }
}

/** Reads the two-byte offsets `buf[at + 2i]` of events `i0 ... iend`; returns all of them OR-ed: big-endian hosts. */
function offsetBytes(
  buf: Uint8Array,
  at: number,
  offc: Uint16Array,
  i0: number,
  iend: number,
): number {
  let all = 0;
  for (let i = i0; i < iend; i++) {
    const o = buf[at + 2 * i]! | (buf[at + 2 * i + 1]! << 8);
    all |= o;
    offc[i] = o;
  }
  return all;
}

/** Reads the length bytes of a block (`n >= 1`, words of `s32`) into `n1c[i0 ...]`, as {@linkcode pageBytes} does. */
function lengthBytes(
  s32: Int32Array,
  n1c: Float64Array,
  i0: number,
  n: number,
): void {
  const m = (n - 1) >> 2;
  let i = i0;
  for (let w = 0; w < m; w++, i += 4) {
    const x = s32[w]!;
    n1c[i] = x & 255;
    n1c[i + 1] = (x >>> 8) & 255;
    n1c[i + 2] = (x >>> 16) & 255;
    n1c[i + 3] = x >>> 24;
  }
  const x = s32[m]!;
  LAST4[0] = x & 255;
  LAST4[1] = (x >>> 8) & 255;
  LAST4[2] = (x >>> 16) & 255;
  LAST4[3] = x >>> 24;
  n1c.set(LAST4.subarray(0, n - 4 * m), i);
}

/**
 * Puts the rarely used columns of every row of `b` (`page2`, `off2`, `n2`, `small`: 0; `str`: -1)
 * to their defaults, which most events leave alone, and leaves `b.rareDirty` at 0: only the rows
 * that {@linkcode EventBatch.rareRows} lists need it when the batch comes back from its consumer.
 */
function resetRare(b: EventBatch): void {
  const k = b.rareDirty;
  if (k < 0 || b.rareRows === null || b.rareRows.length < b.capacity) {
    b.page2.fill(0);
    b.off2.fill(0);
    b.n2.fill(0);
    b.small.fill(0);
    b.str.fill(-1);
    if (b.rareRows === null || b.rareRows.length < b.capacity) {
      b.rareRows = new Int32Array(b.capacity);
    }
  } else {
    const rows = b.rareRows;
    for (let j = 0; j < k; j++) {
      const i = rows[j]!;
      b.page2[i] = 0;
      b.off2[i] = 0;
      b.n2[i] = 0;
      b.small[i] = 0;
      b.str[i] = -1;
    }
  }
  b.rareDirty = 0;
}

/** The little-endian 32-bit checksum stored at `buf[p]`. */
function stored(buf: Uint8Array, p: number): number {
  return (buf[p]! | (buf[p + 1]! << 8) | (buf[p + 2]! << 16) | (buf[p + 3]! << 24)) >>> 0;
}

/**
 * Decodes a `.vmtb` byte source: {@linkcode VmtbDecoder.readHeader} once, then
 * {@linkcode VmtbDecoder.next} fills a batch until it returns false.
 *
 * @example
 * ```ts
 * import { VmtbDecoder } from "./decoder.ts";
 * import { VmtbEncoder } from "./encoder.ts";
 * import { bytesReader } from "../_io.ts";
 * import { EventBatch } from "../batch.ts";
 * const b = new EventBatch(4);
 * b.push({ pid: 7, op: "r", addr: 0x1234, len: 8 });
 * const e = new VmtbEncoder({ version: 1, mem: 1 << 20 });
 * e.add(b, 0);
 * e.finish();
 * const d = new VmtbDecoder(bytesReader(e.take()), "t.vmtb");
 * const header = await d.readHeader();
 * const out = new EventBatch(4);
 * await d.next(out);
 * const ev = out.get(0);
 * if (header.mem !== 1 << 20 || ev.op !== "r" || ev.addr !== 0x1234 || ev.len !== 8) {
 *   throw new Error(JSON.stringify(ev));
 * }
 * ```
 */
export class VmtbDecoder implements FormDecoder {
  readonly #src: ChunkReader;
  readonly #name: string;
  #buf = new Uint8Array(BUF);
  #p = 0;
  #end = 0;
  #eof = false;
  #pending: Uint8Array | null = null;
  #pendingPos = 0;
  #done = false;
  #count = 0;
  /** The slots of the pids from {@linkcode SMALL_PIDS} on (a pid below it is its own slot). */
  #slots = new Map<number, number>();
  /** Each process's last page, by slot. */
  #lastPage = new Float64Array(SMALL_PIDS + 64);
  #strings: string[] = [];
  /** Pid runs of the block being decoded: slot and length. */
  #runSlot = new Int32Array(VMTB_BLOCK);
  #runLen = new Int32Array(VMTB_BLOCK);
  /** The slot of each event of the block being decoded, when its pid runs are short. */
  #eventSlot = new Int32Array(VMTB_BLOCK);
  /** The events of the block being decoded that have an extra part (not r/w/x). */
  #extraAt = new Int32Array(VMTB_BLOCK);
  /** Aligned room for a byte column of a block, viewed as 32-bit words too. */
  #col8 = new Uint8Array(VMTB_BLOCK + 4);
  #col32 = new Int32Array(this.#col8.buffer);
  /** The op bytes of the block being decoded, padded with r ops to a multiple of four. */
  #ops8 = new Uint8Array(VMTB_BLOCK + 4);
  #ops32 = new Int32Array(this.#ops8.buffer);
  /** Aligned room for a block's offset column, viewed as 16- and 32-bit words. */
  #off8 = new Uint8Array(2 * VMTB_BLOCK + 4);
  #off16 = new Uint16Array(this.#off8.buffer);
  #off32 = new Int32Array(this.#off8.buffer);
  /** A block decoded here when the caller's batch is too small for it, and how much is handed out. */
  #stage: EventBatch | null = null;
  #stageAt = 0;
  #stageLen = 0;

  /** The file's version: 3 (with checksums) or 2 (without). */
  #version = VMTB_VERSION;
  /** Called once for a file without checksums. */
  readonly #onWarning: (message: string) => void;

  /**
   * Reads `.vmtb` bytes from `src`; `name` prefixes error messages. `onWarning` hears, once, that a
   * file has no checksums (version 2; default: printed on standard error).
   */
  constructor(src: ChunkReader, name: string, onWarning?: (message: string) => void) {
    this.#src = src;
    this.#name = name;
    this.#onWarning = onWarning ?? ((m) => console.error(m));
  }

  /** The file's version (after {@linkcode VmtbDecoder.readHeader}): 3, or 2 without checksums. */
  get version(): number {
    return this.#version;
  }

  /** Events decoded so far. */
  get count(): number {
    return this.#count;
  }

  #error(reason: string, event = 0): TraceError {
    return new TraceError(this.#name, event, 0, reason);
  }

  /** Moves the unread bytes to the buffer's start and fills the rest, or up to the end of input. */
  async #fill(): Promise<void> {
    const buf = this.#buf;
    if (this.#p > 0) {
      buf.copyWithin(0, this.#p, this.#end);
      this.#end -= this.#p;
      this.#p = 0;
    }
    const src = this.#src;
    while (!this.#eof && this.#end < BUF && src.readInto !== undefined) {
      const k = await src.readInto(buf.subarray(this.#end, BUF));
      if (k === null) this.#eof = true;
      else this.#end += k;
    }
    while (!this.#eof && this.#end < BUF) {
      if (this.#pending === null) {
        const c = await this.#src.read();
        if (c === null) {
          this.#eof = true;
          break;
        }
        this.#pending = c;
        this.#pendingPos = 0;
      }
      const c = this.#pending;
      const n = Math.min(c.length - this.#pendingPos, BUF - this.#end);
      buf.set(c.subarray(this.#pendingPos, this.#pendingPos + n), this.#end);
      this.#end += n;
      this.#pendingPos += n;
      if (this.#pendingPos >= c.length) this.#pending = null;
    }
  }

  /** Reads and checks the magic, version and header. */
  async readHeader(): Promise<TraceHeader> {
    await this.#fill();
    const buf = this.#buf;
    if (this.#end >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
      throw this.#error(
        "Not a vmtb file: this looks like gzip-compressed data; name the file with a .gz extension",
      );
    }
    if (this.#end < 5 || VMTB_MAGIC.some((b, i) => buf[i] !== b)) {
      const found = [...buf.subarray(0, Math.min(4, this.#end))]
        .map((b) => b.toString(16).padStart(2, "0")).join(" ");
      throw this.#error(
        `Not a vmtb file: expected the magic bytes 'VMTB' (56 4d 54 42), found ${
          found === "" ? "an empty file" : found
        }`,
      );
    }
    if (buf[4] !== VMTB_VERSION && buf[4] !== 2) {
      throw this.#error(
        `Unsupported vmtb version ${buf[4]} (this reader knows versions 2 and ${VMTB_VERSION}${
          buf[4] === 1
            ? "; version 1 was never released: convert the trace again from its text"
            : ""
        })`,
      );
    }
    this.#version = buf[4]!;
    this.#p = 5;
    const len = varint(buf, this.#p);
    this.#p = gp;
    if (len > VMTB_MAX_STRING || this.#p + len > this.#end) {
      throw this.#error("Corrupt vmtb header: its length runs past the end of the file");
    }
    const text = dec.decode(buf.subarray(this.#p, this.#p + len));
    this.#p += len;
    if (this.#version === 2) {
      this.#onWarning(
        `${this.#name}: warning: a .vmtb file of version 2 has no checksums, so a corrupt byte ` +
          `could go unnoticed ('vmreplay convert' it to a new .vmtb to add them)`,
      );
    } else {
      if (this.#p + CHECKSUM_BYTES > this.#end) {
        throw this.#error("Corrupt vmtb header: the file ends inside its checksum");
      }
      if (checksum(buf, 0, this.#p) !== stored(buf, this.#p)) {
        throw this.#error("Corrupt vmtb file: its header fails its checksum");
      }
      this.#p += CHECKSUM_BYTES;
    }
    const r = parseHeaderLine(text);
    if (r.error !== undefined) throw this.#error(`Corrupt vmtb header: ${r.error}`);
    return r.header;
  }

  /**
   * Decodes events into `batch` (after clearing it) until it is full or the input ends. Returns
   * false once the end marker has been read.
   */
  async next(batch: EventBatch): Promise<boolean> {
    batch.clear();
    if (this.#done) return false;
    resetRare(batch);
    const cap = batch.capacity;
    while (batch.length < cap) {
      if (this.#stageAt < this.#stageLen) {
        this.#unstage(batch);
        continue;
      }
      if (this.#end - this.#p < HEAD && !this.#eof) await this.#fill();
      const buf = this.#buf, end = this.#end;
      let p = this.#p;
      if (p >= end) {
        throw this.#error(
          `Truncated vmtb file: it ends after ${this.#count} events without the end marker`,
        );
      }
      const tag = buf[p++]!;
      if (tag === REC_END) {
        this.#p = p;
        await this.#trailer();
        return false;
      }
      const first = this.#count + 1;
      const v3 = this.#version !== 2;
      if (tag !== (v3 ? REC_BLOCK : REC_BLOCK_V2)) {
        throw this.#error(
          `Corrupt vmtb file: bad block byte 0x${tag.toString(16)} after event ${this.#count}`,
          first,
        );
      }
      const n = varint(buf, p);
      const size = varint(buf, gp);
      p = gp;
      if (p > end) throw this.#error(`Truncated vmtb file: it ends inside event ${first}`, first);
      if (n < 1 || n > VMTB_BLOCK || size > VMTB_MAX_BODY || size < 1 + n) {
        throw this.#error(
          `Corrupt vmtb file: the block after event ${this.#count} claims ${n} events in ${size} ` +
            `bytes (expected 1 to ${VMTB_BLOCK} events in at most ${VMTB_MAX_BODY} bytes)`,
          first,
        );
      }
      const sum = v3 ? CHECKSUM_BYTES : 0;
      if (p + size + sum > end && !this.#eof) {
        await this.#fill(); // then read the block's head again
        continue;
      }
      if (p + size + sum > end) {
        throw this.#error(
          `Truncated vmtb file: it ends inside the block of events ${first} to ${first + n - 1}`,
          first,
        );
      }
      // The checksum covers the block from its tag to the end of its body.
      if (v3 && checksum(buf, this.#p, p + size) !== stored(buf, p + size)) {
        throw this.#corrupt(first, n, "fails its checksum");
      }
      if (cap - batch.length >= n) {
        this.#block(batch, batch.length, n, p, p + size);
      } else if (batch.length > 0) {
        return true; // the next batch takes the whole block
      } else {
        const stage = this.#stage ??= new EventBatch(VMTB_BLOCK);
        stage.clear();
        resetRare(stage);
        this.#block(stage, 0, n, p, p + size);
        this.#stageAt = 0;
        this.#stageLen = n;
      }
      this.#p = p + size + sum;
    }
    return true;
  }

  /** Copies staged events into `batch`, as many as fit. */
  #unstage(batch: EventBatch): void {
    const s = this.#stage!;
    const from = this.#stageAt;
    const k = Math.min(batch.capacity - batch.length, this.#stageLen - from);
    const at = batch.length, to = from + k;
    batch.op.set(s.op.subarray(from, to), at);
    batch.pid.set(s.pid.subarray(from, to), at);
    batch.page.set(s.page.subarray(from, to), at);
    batch.off.set(s.off.subarray(from, to), at);
    batch.page2.set(s.page2.subarray(from, to), at);
    batch.off2.set(s.off2.subarray(from, to), at);
    batch.n1.set(s.n1.subarray(from, to), at);
    batch.n2.set(s.n2.subarray(from, to), at);
    batch.small.set(s.small.subarray(from, to), at);
    batch.line.set(s.line.subarray(from, to), at);
    for (let j = 0; j < k; j++) {
      const str = s.str[from + j]!;
      batch.str[at + j] = str < 0 ? -1 : batch.addString(s.strings[str]!);
    }
    batch.length = at + k;
    batch.rareDirty = -1;
    this.#stageAt = to;
  }

  async #trailer(): Promise<void> {
    const count = varint(this.#buf, this.#p);
    this.#p = gp;
    if (this.#p > this.#end) {
      throw this.#error("Truncated vmtb file: it ends inside the end marker");
    }
    if (count !== this.#count) {
      throw this.#error(
        `Corrupt vmtb file: the end marker counts ${count} events, the file holds ${this.#count}`,
      );
    }
    if (this.#p === this.#end && !this.#eof) await this.#fill();
    if (this.#p < this.#end) throw this.#error("Corrupt vmtb file: data after the end marker");
    this.#done = true;
  }

  #corrupt(first: number, n: number, what: string): TraceError {
    return this.#error(
      `Corrupt vmtb file: the block of events ${first} to ${first + n - 1} ${what}`,
      first,
    );
  }

  /** The slot (index into the last-page table) of a pid from {@linkcode SMALL_PIDS} on, made on first sight. */
  #slotOf(pid: number): number {
    let s = this.#slots.get(pid);
    if (s === undefined) {
      s = SMALL_PIDS + this.#slots.size;
      this.#slots.set(pid, s);
      if (s >= this.#lastPage.length) {
        const bigger = new Float64Array(this.#lastPage.length * 2);
        bigger.set(this.#lastPage);
        this.#lastPage = bigger;
      }
    }
    return s;
  }

  /**
   * Decodes the block of `n` events whose body is `buf[p, pend)` into events `i0 ...` of `b`,
   * one column at a time. The rarely used columns of those rows must hold their defaults already
   * (see {@linkcode VmtbDecoder.next}); the rows this block writes into them are added to
   * `b.rareRows`.
   */
  #block(b: EventBatch, i0: number, n: number, p: number, pend: number): void {
    const buf = this.#buf;
    const first = this.#count + 1;
    const iend = i0 + n;
    const flags = buf[p++]!;
    if ((flags & ~(BLOCK_HAS_LENGTHS | BLOCK_HAS_OFFSETS)) !== 0) {
      throw this.#corrupt(first, n, `has bad flags 0x${flags.toString(16)}`);
    }
    // ops: one copy
    const opc = b.op, ops8 = this.#ops8;
    ops8.set(buf.subarray(p, p + n));
    ops8[n] = ops8[n + 1] = ops8[n + 2] = Op.r;
    opc.set(ops8.subarray(0, n), i0);
    p += n;
    // pids: runs (in random traces most runs are a single event, so no call per run); when
    // runs are short, each event's slot too, for a flat running sum below
    const pidc = b.pid;
    const runSlot = this.#runSlot, runLen = this.#runLen;
    const eventSlot = this.#eventSlot;
    let runs = buf[p++]!;
    if (runs >= 128) (runs = varint(buf, p - 1), p = gp);
    if (runs < 1 || runs > n) throw this.#corrupt(first, n, `has ${runs} pid runs`);
    const short = runs * 8 > n;
    let i = i0;
    for (let r = 0; r < runs; r++) {
      let pid = buf[p++]!;
      if (pid >= 128) (pid = varint(buf, p - 1), p = gp);
      let len = buf[p++]!;
      if (len >= 128) (len = varint(buf, p - 1), p = gp);
      const stop = i + len;
      if (pid > 0x7fffffff || len < 1 || stop > iend) {
        throw this.#corrupt(first, n, `has a bad pid run (pid ${pid}, ${len} events)`);
      }
      if (pid === 0) {
        for (let j = i; j < stop; j++) {
          if (SYSTEM[opc[j]!] !== 1 && opc[j]! < OPS.length) {
            throw this.#pidError(j - i0 + first, opc[j]!, 0);
          }
        }
      }
      const slot = pid < SMALL_PIDS ? pid : this.#slotOf(pid);
      if (short) {
        if (len <= 16) {
          for (let j = i; j < stop; j++) (pidc[j] = pid, eventSlot[j - i0] = slot);
        } else (pidc.fill(pid, i, stop), eventSlot.fill(slot, i - i0, stop - i0));
      } else {
        if (len <= 64) { for (let j = i; j < stop; j++) pidc[j] = pid; }
        else pidc.fill(pid, i, stop);
        runSlot[r] = slot;
        runLen[r] = len;
      }
      i = stop;
    }
    if (i !== iend || p > pend) throw this.#corrupt(first, n, "has pid runs that do not add up");
    // pages: a byte column of zigzag deltas from each process's last page, then the escaped
    // ones, then the running sum per process, which writes the event numbers too
    const pagec = b.page;
    if (p + n > pend) throw this.#corrupt(first, n, "runs past its end in its page column");
    const col8 = this.#col8, col32 = this.#col32;
    col8.set(buf.subarray(p, p + n));
    if (LITTLE_ENDIAN) pageBytes(col32, pagec, i0, n);
    else byteColumn(col8, pagec, i0, n, true);
    p = this.#escapes(buf, p + n, p - i0, pagec, i0, n, first, true);
    const lastPage = this.#lastPage;
    const bad = short
      ? sumPerEvent(pagec, b.line, first - i0, lastPage, eventSlot, i0, iend)
      : sumPerRun(pagec, b.line, first - i0, lastPage, runSlot, runLen, runs, i0);
    if (bad >= 0) throw this.#rangeError(bad - i0 + first);
    if (p > pend) throw this.#corrupt(first, n, "runs past its end in its page column");
    // offsets: two bytes each, or all 0
    const offc = b.off;
    if ((flags & BLOCK_HAS_OFFSETS) !== 0) {
      if (p + 2 * n > pend) throw this.#corrupt(first, n, "runs past its end in its offsets");
      const over = LITTLE_ENDIAN
        ? offsetsCopy(buf, p, n, offc, i0, this.#off8, this.#off16, this.#off32)
        : offsetBytes(buf, p - 2 * i0, offc, i0, iend) > 4095;
      p += 2 * n;
      if (over) throw this.#corrupt(first, n, "has an in-page offset above 4095");
    } else offc.fill(0, i0, iend);
    // lengths: a byte column, or all 1
    const n1c = b.n1;
    if ((flags & BLOCK_HAS_LENGTHS) !== 0) {
      if (p + n > pend) throw this.#corrupt(first, n, "runs past its end in its lengths");
      col8.set(buf.subarray(p, p + n));
      if (LITTLE_ENDIAN) lengthBytes(col32, n1c, i0, n);
      else byteColumn(col8, n1c, i0, n, false);
      p = this.#escapes(buf, p + n, p - i0, n1c, i0, n, first, false, b.op);
      if (p > pend) throw this.#corrupt(first, n, "runs past its end in its lengths");
    } else n1c.fill(1, i0, iend);
    // the other fields of the ops that are not r/w/x, from the extra stream
    const extraAt = this.#extraAt;
    const extras = extrasOf(ops8, this.#ops32, extraAt, i0, n);
    for (let e = 0; e < extras; e++) {
      i = extraAt[e]!;
      this.#other(b, i, p, pend, i - i0 + first);
      p = gp;
    }
    if (p !== pend) {
      throw this.#corrupt(first, n, `has ${pend - p} bytes left over after its last field`);
    }
    b.length = iend;
    this.#count += n;
  }

  /**
   * Reads the escaped values of a byte column whose bytes are `buf[at + i0, at + i0 + n)`, just
   * decoded into `col[i0, i0 + n)`, and puts them in place (zigzag-decoded when `signed`); returns
   * the position after them. With `ops` (the lengths column), an access's LEN above its range
   * (`limits.ts`) is an error; only escaped values can be.
   */
  #escapes(
    buf: Uint8Array,
    p: number,
    at: number,
    col: Float64Array,
    i0: number,
    n: number,
    first: number,
    signed: boolean,
    ops: Uint8Array | null = null,
  ): number {
    let count = buf[p++]!;
    if (count >= 128) (count = varint(buf, p - 1), p = gp);
    let k = i0 - 1;
    const kend = i0 + n;
    for (let e = 0; e < count; e++) {
      let gap = buf[p++]!;
      if (gap >= 128) (gap = varint(buf, p - 1), p = gp);
      k += gap + 1;
      // escaped values below 2^21 (the common ones) are read here: two or three bytes
      let v = buf[p++]!;
      if (v >= 128) {
        let c = buf[p++]!;
        v = (v & 127) | ((c & 127) << 7);
        if (c >= 128) {
          c = buf[p++]!;
          v |= (c & 127) << 14;
          if (c >= 128) (v = varint(buf, p - 3), p = gp);
        }
      }
      if (k >= kend || buf[at + k] !== ESCAPE || v < ESCAPE) {
        throw this.#corrupt(first, n, "has a bad escaped value in a byte column");
      }
      col[k] = signed ? (v < 0x40000000 ? (v >>> 1) ^ -(v & 1) : unzigzag(v)) : v;
      if (ops !== null && v > ACCESS_MAX && ops[k]! >= Op.r && ops[k]! <= Op.x) {
        const event = first + (k - i0);
        throw this.#error(`Event ${event} ('${OPS[ops[k]!]}'): ${accessLenProblem(v)}`, event);
      }
    }
    return p;
  }

  #rangeError(event: number): TraceError {
    return this.#error(`Corrupt vmtb file: event ${event} has an address out of range`, event);
  }

  #pidError(event: number, op: number, pid: number): TraceError {
    return this.#error(`Corrupt vmtb file: event ${event} ('${OPS[op]}') has pid ${pid}`, event);
  }

  /** Decodes the fields of event `i` (not r/w/x) from the extra stream at `p`; sets `gp`. */
  #other(b: EventBatch, i: number, p: number, pend: number, count: number): void {
    const buf = this.#buf;
    const op = b.op[i]!;
    if (op >= OPS.length) {
      throw this.#error(`Corrupt vmtb file: bad op code ${op} at event ${count}`, count);
    }
    const pid = b.pid[i]!;
    if ((SYSTEM[op] === 1) !== (pid === 0)) throw this.#pidError(count, op, pid);
    let v = 0;
    let page2 = 0, off2 = 0, n1 = b.n1[i]!, n2 = 0, small = 0, str = -1;
    if (ADDR_OPS[op] !== 1) {
      b.page[i] = 0;
      b.off[i] = 0;
      n1 = 0;
    }
    switch (op) {
      case Op.fork:
      case Op.clone:
      case Op.reclaim:
        n1 = varint(buf, p), p = gp;
        break;
      case Op.mmap:
        small = varint(buf, p), p = gp;
        if (small & SMALL_HAS_OBJECT) (str = this.#string(b, p, pend, count), p = gp);
        small &= ~SMALL_HAS_OBJECT;
        if (small & HAS_OFFSET) n2 = varint(buf, p), p = gp;
        break;
      case Op.mremap:
        v = varint(buf, p), p = gp;
        page2 = b.page[i]! + unzigzag(Math.floor(v / 2));
        if (v % 2 === 1) off2 = varint(buf, p), p = gp;
        n2 = varint(buf, p), p = gp;
        break;
      case Op.mprotect:
      case Op.madvise:
        small = buf[p++]!;
        break;
      case Op.create:
      case Op.truncate:
        str = this.#string(b, p, pend, count), p = gp;
        n1 = varint(buf, p), p = gp;
        break;
      case Op.read:
      case Op.write:
        str = this.#string(b, p, pend, count), p = gp;
        n1 = varint(buf, p), p = gp;
        n2 = varint(buf, p), p = gp;
        break;
      case Op.unlink:
      case Op.fsync:
      case Op.swapoff:
      case Op.mark:
        str = this.#string(b, p, pend, count), p = gp;
        break;
      case Op.swapon: {
        str = this.#string(b, p, pend, count), p = gp;
        n1 = varint(buf, p), p = gp;
        const z = varint(buf, p);
        p = gp;
        if (z > 0) (n2 = unzigzag(z - 1), small = HAS_PRIO);
        break;
      }
    }
    const bad = p > pend || page2 < 0 || page2 >= TWO45 || off2 > 4095 ||
      (op === Op.mmap && (small > 0x7ff || checkFlagBits((small >> 3) & 0x7f) !== undefined)) ||
      (op === Op.mprotect && small > 7) || (op === Op.madvise && small >= ADVICES.length) ||
      ((op === Op.fork || op === Op.clone) && (n1 < 1 || n1 > 0x7fffffff));
    if (bad) {
      throw this.#error(`Corrupt vmtb file: event ${count} ('${OPS[op]}') is malformed`, count);
    }
    if (op === Op.mmap && (small & HAS_OFFSET) !== 0) {
      const problem = mmapOffsetProblem(n2);
      if (problem !== undefined) throw this.#error(`Event ${count} ('mmap'): ${problem}`, count);
    }
    if (op === Op.read || op === Op.write || op === Op.swapon) {
      const problem = op === Op.swapon ? swaponSizeProblem(n1) : rwProblem(n1, n2)?.message;
      if (problem !== undefined) {
        throw this.#error(`Event ${count} ('${OPS[op]}'): ${problem}`, count);
      }
    }
    b.page2[i] = page2;
    b.off2[i] = off2;
    b.n1[i] = n1;
    b.n2[i] = n2;
    b.small[i] = small;
    b.str[i] = str;
    if (b.rareDirty >= 0) b.rareRows![b.rareDirty++] = i;
    gp = p;
  }

  /** Reads a string reference at `p` (adding a new string to the table); sets `gp`. */
  #string(b: EventBatch, p: number, pend: number, event: number): number {
    const buf = this.#buf;
    const k = varint(buf, p);
    p = gp;
    const t = this.#strings;
    if (k < t.length) return b.addString(t[k]!);
    if (k !== t.length) {
      throw this.#error(
        `Corrupt vmtb file: event ${event} refers to string ${k} of ${t.length}`,
        event,
      );
    }
    const len = varint(buf, p);
    p = gp;
    if (len > VMTB_MAX_STRING || p + len > pend) {
      throw this.#error(`Corrupt vmtb file: event ${event} has a string past its block`, event);
    }
    const s = dec.decode(buf.subarray(p, p + len));
    gp = p + len;
    t.push(s);
    return b.addString(s);
  }
}
