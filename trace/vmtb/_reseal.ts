/**
 * For the tests: where the blocks of a `.vmtb` file are, and the file's checksums made right again
 * after a deliberate change to a block (so that a test reaches what the decoder finds in the block
 * itself).
 *
 * @module
 */
import { checksum } from "./checksum.ts";
import { CHECKSUM_BYTES, REC_BLOCK } from "./constants.ts";

/** A block of a `.vmtb` file: where it starts (its block byte), its event count, size and body. */
export interface BlockAt {
  start: number;
  n: number;
  size: number;
  body: number;
}

/** The blocks of a version 3 `.vmtb` file, and where its header's checksum is. */
export function vmtbBlocks(bytes: Uint8Array): { headerSum: number; blocks: BlockAt[] } {
  let p = 5;
  const varint = () => {
    let v = 0, mult = 1, b;
    do {
      b = bytes[p++]!;
      v += (b & 127) * mult;
      mult *= 128;
    } while (b >= 128);
    return v;
  };
  const headerLength = varint();
  p += headerLength;
  const headerSum = p;
  p += CHECKSUM_BYTES;
  const blocks: BlockAt[] = [];
  while (bytes[p] === REC_BLOCK) {
    const start = p++;
    const n = varint();
    const size = varint();
    blocks.push({ start, n, size, body: p });
    p += size + CHECKSUM_BYTES;
  }
  return { headerSum, blocks };
}

/**
 * `bytes` with the checksums of its header and blocks made right again: for the tests of what the
 * decoder finds in a damaged block (a damaged block fails its checksum first).
 */
export function reseal(bytes: Uint8Array): Uint8Array {
  const put = (at: number, c: number) => {
    for (let k = 0; k < 4; k++) bytes[at + k] = (c >>> (8 * k)) & 255;
  };
  const { headerSum, blocks } = vmtbBlocks(bytes);
  put(headerSum, checksum(bytes, 0, headerSum));
  for (const b of blocks) put(b.body + b.size, checksum(bytes, b.start, b.body + b.size));
  return bytes;
}
