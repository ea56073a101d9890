/**
 * The binary form (`.vmtb`), version 3: blocks of up to 4096 events stored column by column, a
 * few bytes an access, each with a CRC-32 (`checksum.ts`); see docs/vmtb.md.
 *
 * - {@linkcode VmtbEncoder} writes it, {@linkcode VmtbDecoder} reads it (straight into batches);
 * - `constants.ts` holds what both share: magic bytes, version, record bytes, block limits.
 *
 * @example
 * ```ts
 * import { VmtbDecoder, VmtbEncoder } from "./mod.ts";
 * import { EventBatch } from "../batch.ts";
 * const b = new EventBatch(1);
 * b.push({ pid: 1, op: "r", addr: 0x1234, len: 8 });
 * const e = new VmtbEncoder({ version: 1 });
 * e.add(b, 0);
 * e.finish();
 * const bytes = e.take();
 * let done = false;
 * const d = new VmtbDecoder({
 *   read: () => Promise.resolve(done ? null : (done = true, bytes)),
 *   close: () => Promise.resolve(),
 * }, "t.vmtb");
 * await d.readHeader();
 * const out = new EventBatch(8);
 * await d.next(out);
 * const ev = out.get(0);
 * if (out.length !== 1 || ev.op !== "r" || ev.addr !== 0x1234) throw new Error("round trip");
 * ```
 *
 * @module
 */
export * from "./constants.ts";
export * from "./encoder.ts";
export * from "./decoder.ts";
