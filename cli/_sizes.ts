/**
 * Sizes as a user types them on the command line: {@linkcode parseSize} (`64K`, `1M`, `2G`,
 * `4096`, `0x1000`).
 *
 * @module
 */
import { UsageError } from "./_errors.ts";

/**
 * Parses a size with an optional binary suffix (`64K`, `1M`, `2G`, `4096`, `0x1000`).
 * Throws {@linkcode UsageError} naming `what` when it is not a size.
 */
export function parseSize(text: string, what: string): number {
  const m = /^(0x[0-9a-fA-F]+|\d+)([KMGT]?)(i?B)?$/i.exec(text.trim());
  if (!m) throw new UsageError(`${what}: expected a size like 64M, 1G or 4096, found '${text}'`);
  const n = Number(m[1]);
  const mult = { "": 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 }[m[2]!.toUpperCase()]!;
  return n * mult;
}
