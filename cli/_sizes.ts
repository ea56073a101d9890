/**
 * Sizes as a user types them on the command line: {@linkcode parseSize} (`64K`, `1M`, `2G`,
 * `4096`, `0x1000`), and {@linkcode parseMachineSize} for the simulated machine's memory and swap,
 * in their ranges.
 *
 * @module
 */
import { UsageError } from "./_errors.ts";
import { optionSizeProblem } from "../uapi/limits.ts";

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

/**
 * Parses the size of option `what` (`--mem`, `--swap`) of the simulated machine, checked against
 * its range (`uapi/limits.ts`: memory 64K to 4T, swap up to 4T); throws {@linkcode UsageError}.
 *
 * @example
 * ```ts
 * import { parseMachineSize } from "./_sizes.ts";
 * if (parseMachineSize("64M", "mem", "--mem") !== 64 << 20) throw new Error("64M");
 * try {
 *   parseMachineSize("65536G", "swap", "--swap");
 *   throw new Error("should have failed");
 * } catch (e) {
 *   if ((e as Error).name !== "UsageError") throw e;
 * }
 * ```
 */
export function parseMachineSize(text: string, key: "mem" | "swap", what: string): number {
  const n = parseSize(text, what);
  const problem = optionSizeProblem(key, n);
  if (problem !== undefined) throw new UsageError(`${what}: ${problem}`);
  return n;
}
