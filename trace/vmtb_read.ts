/**
 * {@linkcode VmtbDecoder}: reads the binary `.vmtb` form (see docs/vmtb.md) straight into
 * {@linkcode EventBatch} columns, allocating nothing per event.
 *
 * @module
 */
import { type EventBatch, HAS_OFFSET, HAS_PRIO } from "./batch.ts";
import { Op, OPS, SYSTEM_OPS, type TraceHeader } from "./event.ts";
import { TraceError } from "./error.ts";
import type { ByteSource } from "./_source.ts";
import { parseHeaderLine } from "./_header.ts";
import {
  REC_A,
  REC_END,
  REC_SAME_PID,
  VMTB_MAGIC,
  VMTB_MAX_STRING,
  VMTB_VERSION,
} from "./vmtb_write.ts";

/** Bytes kept ahead of the cursor so a whole record is in the buffer (longest string + slack). */
const LOOKAHEAD = VMTB_MAX_STRING + 256;
const BUF = (1 << 20) + 2 * LOOKAHEAD;
const dec = new TextDecoder();
const SYSTEM = new Uint8Array(32);
for (const name of SYSTEM_OPS) SYSTEM[Op[name]] = 1;

/**
 * Decodes a `.vmtb` byte source: {@linkcode VmtbDecoder.readHeader} once, then
 * {@linkcode VmtbDecoder.next} fills a batch until it returns false.
 *
 * @example
 * ```ts
 * import { VmtbDecoder } from "./vmtb_read.ts";
 * import { VmtbEncoder } from "./vmtb_write.ts";
 * import { bytesSource } from "./_source.ts";
 * import { EventBatch } from "./batch.ts";
 * const b = new EventBatch(4);
 * b.push({ pid: 7, op: "r", addr: 0x1234, len: 8 });
 * const e = new VmtbEncoder({ version: 1, mem: 1 << 20 });
 * e.add(b, 0);
 * e.finish();
 * const d = new VmtbDecoder(bytesSource(e.take()), "t.vmtb");
 * const header = await d.readHeader();
 * const out = new EventBatch(4);
 * await d.next(out);
 * const ev = out.get(0);
 * if (header.mem !== 1 << 20 || ev.op !== "r" || ev.addr !== 0x1234 || ev.len !== 8) {
 *   throw new Error(JSON.stringify(ev));
 * }
 * ```
 */
export class VmtbDecoder {
  readonly #src: ByteSource;
  readonly #name: string;
  #buf = new Uint8Array(BUF);
  #p = 0;
  #end = 0;
  #eof = false;
  #pending: Uint8Array | null = null;
  #pendingPos = 0;
  #done = false;
  #count = 0;
  #pid = -1;
  #slot = 0;
  #slots = new Map<number, number>();
  #lastPage = new Float64Array(64);
  #strings: string[] = [];

  /** Reads `.vmtb` bytes from `src`; `name` prefixes error messages. */
  constructor(src: ByteSource, name: string) {
    this.#src = src;
    this.#name = name;
  }

  /** Events decoded so far. */
  get count(): number {
    return this.#count;
  }

  #error(reason: string, event = 0): TraceError {
    return new TraceError(this.#name, event, 0, reason);
  }

  /** Tops the buffer up to at least LOOKAHEAD bytes past the cursor, or to the end of input. */
  async #fill(): Promise<void> {
    const buf = this.#buf;
    if (this.#p > 0) {
      buf.copyWithin(0, this.#p, this.#end);
      this.#end -= this.#p;
      this.#p = 0;
    }
    while (!this.#eof && this.#end < BUF - LOOKAHEAD) {
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
    if (this.#end < 5 || VMTB_MAGIC.some((b, i) => buf[i] !== b)) {
      const found = [...buf.subarray(0, Math.min(4, this.#end))]
        .map((b) => b.toString(16).padStart(2, "0")).join(" ");
      throw this.#error(
        `Not a vmtb file: expected the magic bytes 'VMTB' (56 4d 54 42), found ${
          found === "" ? "an empty file" : found
        }`,
      );
    }
    if (buf[4] !== VMTB_VERSION) {
      throw this.#error(
        `Unsupported vmtb version ${buf[4]} (this reader knows version ${VMTB_VERSION})`,
      );
    }
    this.#p = 5;
    const len = this.#varint();
    if (len > LOOKAHEAD || this.#p + len > this.#end) {
      throw this.#error("Corrupt vmtb header: its length runs past the end of the file");
    }
    const text = dec.decode(buf.subarray(this.#p, this.#p + len));
    this.#p += len;
    const r = parseHeaderLine(text);
    if (r.error !== undefined) throw this.#error(`Corrupt vmtb header: ${r.error}`);
    return r.header;
  }

  #varint(): number {
    const buf = this.#buf;
    let b = buf[this.#p++]!;
    if (b < 128) return b;
    let v = b & 127, mult = 128;
    do {
      b = buf[this.#p++]!;
      v += (b & 127) * mult;
      mult *= 128;
    } while (b >= 128 && mult < 2 ** 56);
    return v;
  }

  /**
   * Decodes events into `batch` (after clearing it) until it is full or the input ends. Returns
   * false once the end marker has been read.
   */
  async next(batch: EventBatch): Promise<boolean> {
    batch.clear();
    if (this.#done) return false;
    const cap = batch.capacity;
    while (batch.length < cap) {
      if (this.#end - this.#p < LOOKAHEAD && !this.#eof) await this.#fill();
      const end = this.#end;
      const stop = this.#eof ? end : end - LOOKAHEAD;
      if (this.#p >= end) {
        throw this.#error(
          `Truncated vmtb file: it ends after ${this.#count} events without the end marker`,
        );
      }
      const n = this.#decode(batch, stop);
      if (this.#p > end) {
        throw this.#error(
          `Truncated vmtb file: it ends inside event ${this.#count + 1}`,
          this.#count + 1,
        );
      }
      if (n < 0) {
        await this.#trailer();
        return false;
      }
    }
    return true;
  }

  async #trailer(): Promise<void> {
    const count = this.#varint();
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

  /** Decodes records while the cursor is before `stop`; returns -1 at the end marker. */
  #decode(b: EventBatch, stop: number): number {
    const buf = this.#buf;
    const cap = b.capacity;
    let i = b.length;
    let lastPage = this.#lastPage;
    while (i < cap && this.#p < stop) {
      const rec = buf[this.#p++]!;
      if (rec === REC_END) {
        b.length = i;
        return -1;
      }
      const op = rec & 31;
      if (op >= OPS.length || rec & 0x80) {
        b.length = i;
        throw this.#error(
          `Corrupt vmtb file: bad record byte 0x${rec.toString(16)} at event ${this.#count + 1}`,
          this.#count + 1,
        );
      }
      if ((rec & REC_SAME_PID) === 0) {
        const pid = this.#varint();
        this.#pid = pid;
        let s = this.#slots.get(pid);
        if (s === undefined) {
          s = this.#slots.size;
          this.#slots.set(pid, s);
          if (s >= lastPage.length) {
            const bigger = new Float64Array(lastPage.length * 2);
            bigger.set(lastPage);
            this.#lastPage = lastPage = bigger;
          }
        }
        this.#slot = s;
      }
      const pid = this.#pid;
      if ((SYSTEM[op] === 1) !== (pid === 0) || pid > 0x7fffffff || pid < 0) {
        b.length = i;
        throw this.#error(
          `Corrupt vmtb file: event ${this.#count + 1} ('${OPS[op]}') has pid ${pid}`,
          this.#count + 1,
        );
      }
      b.op[i] = op;
      b.pid[i] = pid;
      b.page[i] = 0;
      b.off[i] = 0;
      b.page2[i] = 0;
      b.off2[i] = 0;
      b.n1[i] = 0;
      b.n2[i] = 0;
      b.small[i] = 0;
      b.str[i] = -1;
      b.line[i] = ++this.#count;
      switch (op) {
        case Op.r:
        case Op.w:
        case Op.x:
          this.#addr(b, i, false);
          b.n1[i] = rec & REC_A ? 1 : this.#varint();
          break;
        case Op.munmap:
        case Op.mlock:
        case Op.munlock:
        case Op.msync:
          this.#addr(b, i, false);
          b.n1[i] = this.#varint();
          break;
        case Op.mmap: {
          this.#addr(b, i, false);
          b.n1[i] = this.#varint();
          const small = this.#varint();
          b.small[i] = small;
          if (rec & REC_A) b.str[i] = this.#string(b);
          if (small & HAS_OFFSET) b.n2[i] = this.#varint();
          break;
        }
        case Op.mremap:
          this.#addr(b, i, false);
          b.n1[i] = this.#varint();
          this.#addr(b, i, true);
          b.n2[i] = this.#varint();
          break;
        case Op.mprotect:
        case Op.madvise:
          this.#addr(b, i, false);
          b.n1[i] = this.#varint();
          b.small[i] = buf[this.#p++]!;
          break;
        case Op.fork:
        case Op.clone:
          b.n1[i] = this.#varint();
          break;
        case Op.exec:
        case Op.exit:
          break;
        case Op.create:
        case Op.truncate:
          b.str[i] = this.#string(b);
          b.n1[i] = this.#varint();
          break;
        case Op.read:
        case Op.write:
          b.str[i] = this.#string(b);
          b.n1[i] = this.#varint();
          b.n2[i] = this.#varint();
          break;
        case Op.unlink:
        case Op.fsync:
        case Op.swapoff:
        case Op.mark:
          b.str[i] = this.#string(b);
          break;
        case Op.swapon:
          b.str[i] = this.#string(b);
          b.n1[i] = this.#varint();
          if (rec & REC_A) {
            const z = this.#varint();
            b.n2[i] = z % 2 === 0 ? z / 2 : -(z + 1) / 2;
            b.small[i] = HAS_PRIO;
          }
          break;
        case Op.reclaim:
          b.n1[i] = this.#varint();
          break;
      }
      i++;
    }
    b.length = i;
    return i;
  }

  #addr(b: EventBatch, i: number, second: boolean): void {
    const v = this.#varint();
    const half = Math.floor(v / 2);
    const d = half % 2 === 0 ? half / 2 : -(half + 1) / 2;
    const page = this.#lastPage[this.#slot]! + d;
    this.#lastPage[this.#slot] = page;
    const off = v % 2 === 1 ? this.#varint() : 0;
    if (second) {
      b.page2[i] = page;
      b.off2[i] = off;
    } else {
      b.page[i] = page;
      b.off[i] = off;
    }
  }

  #string(b: EventBatch): number {
    const k = this.#varint();
    const t = this.#strings;
    if (k < t.length) return b.addString(t[k]!);
    if (k !== t.length) {
      throw this.#error(
        `Corrupt vmtb file: event ${this.#count} refers to string ${k} of ${t.length}`,
        this.#count,
      );
    }
    const len = this.#varint();
    if (len > VMTB_MAX_STRING || this.#p + len > this.#end) {
      throw this.#error(`Truncated vmtb file: it ends inside event ${this.#count}`, this.#count);
    }
    const s = dec.decode(this.#buf.subarray(this.#p, this.#p + len));
    this.#p += len;
    t.push(s);
    return b.addString(s);
  }
}
