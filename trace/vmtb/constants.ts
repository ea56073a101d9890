/**
 * The `.vmtb` format's constants (version 3, see docs/vmtb.md), which the encoder and the decoder
 * share: magic bytes, version, record bytes, block limits and flags, the escape byte, and which
 * ops carry an address.
 *
 * @module
 */
import { Op } from "../event.ts";

/** The magic bytes a `.vmtb` file starts with: `VMTB`. */
export const VMTB_MAGIC = new Uint8Array([0x56, 0x4d, 0x54, 0x42]);
/** The `.vmtb` version this code writes (it reads version 2 too). */
export const VMTB_VERSION = 3;
/** The byte that starts a block of events, with its checksum after its body (version 3). */
export const REC_BLOCK = 0x02;
/** The byte that starts a block of events in version 2, which had no checksums. */
export const REC_BLOCK_V2 = 0x01;
/** Bytes of a checksum (a CRC-32, little-endian). */
export const CHECKSUM_BYTES = 4;
/** The end marker; a varint event count follows. */
export const REC_END = 0xff;
/** Longest string (object name, label) a `.vmtb` file may hold, in UTF-8 bytes. */
export const VMTB_MAX_STRING = 65535;
/** Most events in one block. */
export const VMTB_BLOCK = 4096;
/** Largest block body a reader accepts, in bytes (this writer stays under half of it). */
export const VMTB_MAX_BODY = 1 << 20;
/** Block flag: the block has a length column (else every length is 1). */
export const BLOCK_HAS_LENGTHS = 1;
/** Block flag: the block has an offset column (else every offset is 0). */
export const BLOCK_HAS_OFFSETS = 2;
/** In a byte column: the value is in the column's exception list. */
export const ESCAPE = 255;
/** In the stored SMALL of an `mmap`: an OBJECT follows. */
export const SMALL_HAS_OBJECT = 1 << 11;

/**
 * Ops whose event has an address (and a length) in a block's page, offset and length columns: 1 at
 * the op's code. Shared by the encoder and the decoder, since it is part of the format.
 */
export const ADDR_OPS: Uint8Array = new Uint8Array(32);
for (
  const op of [
    Op.mmap,
    Op.munmap,
    Op.mremap,
    Op.mprotect,
    Op.madvise,
    Op.mlock,
    Op.munlock,
    Op.msync,
    Op.r,
    Op.w,
    Op.x,
  ]
) ADDR_OPS[op] = 1;
