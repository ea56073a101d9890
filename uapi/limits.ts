/**
 * The ranges of the sizes a trace declares, checked by every reader (so `validate` refuses what
 * `run` would), by the writers, and by the command line and the dashboard for their own options:
 *
 * | size                                  | range                                        |
 * | ------------------------------------- | -------------------------------------------- |
 * | header `mem=`, `run --mem`            | 4 KiB (one page; `--mem` 64 KiB) to 4 TiB    |
 * | header `swap=`, `run --swap`          | 0 to 4 TiB                                   |
 * | `swapon` SIZE                         | 0 to 4 TiB (all devices together: 8 TiB)     |
 * | `read`/`write` LEN                    | 0 to 2 GiB − 4 KiB (Linux's `MAX_RW_COUNT`)  |
 * | `r`/`w`/`x` LEN                       | 0 to 1 GiB                                   |
 * | `read`/`write` OFFSET + LEN           | below 2^53                                   |
 * | `create`/`truncate` SIZE, other sizes | below 2^53                                   |
 * | addresses                             | below 2^57                                   |
 *
 * A simulated machine allocates its state as a trace uses it (frames, swap slots, page cache), so
 * a trace that declares 4 TiB and touches a megabyte costs a megabyte. One `read` or `write` moves
 * at most what one read(2) or write(2) moves on Linux, and one access at most 1 GiB, so that no
 * single event of these can ask for unbounded work; a larger one is a malformed event
 * (`FILE:LINE:COL`).
 *
 * @module
 */

/** Smallest memory a trace header may declare: one page. */
export const MEM_MIN = 4096;
/** Smallest memory `run --mem` (and the dashboard's `mem`) takes: 16 pages. */
export const MEM_OPTION_MIN = 64 * 1024;
/** Largest memory: 4 TiB (2^30 pages). */
export const MEM_MAX = 2 ** 42;
/** Largest swap size, of the header's `swap=`, of `run --swap` and of one `swapon`: 4 TiB. */
export const SWAP_MAX = 2 ** 42;
/**
 * Most swap all devices together may hold: 8 TiB (2^31 slots: the machine keeps a slot number in a
 * 32-bit entry). A `swapon` beyond is refused with a warning when replayed, as Linux refuses one
 * when its swap table is full.
 */
export const SWAP_TOTAL_MAX = 2 ** 43;
/** Largest LEN of one `read` or `write`: Linux's `MAX_RW_COUNT` (2 GiB − 4 KiB). */
export const RW_MAX = 0x7ffff000;
/**
 * Largest LEN of one `r`, `w` or `x`: 1 GiB (262144 pages), what `import strace --touch`
 * synthesizes in one event at most. A real load or store is a few bytes.
 */
export const ACCESS_MAX = 2 ** 30;
/** Sizes and offsets end below this: 2^53, where JavaScript numbers stop being exact. */
export const SIZE_LIMIT = 2 ** 53;

/** A size in the units a message shows: `4T`, `64K`, or bytes. */
function shown(n: number): string {
  for (const [unit, mult] of [["T", 2 ** 40], ["G", 2 ** 30], ["M", 2 ** 20], ["K", 1024]]) {
    if (n >= (mult as number) && n % (mult as number) === 0) {
      return `${n / (mult as number)}${unit}`;
    }
  }
  return String(n);
}

/**
 * What is wrong with a header's `mem=` or `swap=` value, or `undefined` when it is in range.
 *
 * @example
 * ```ts
 * import { headerSizeProblem } from "./limits.ts";
 * if (headerSizeProblem("mem", 8 << 20) !== undefined) throw new Error("8M is fine");
 * if (headerSizeProblem("mem", 4095) === undefined) throw new Error("less than a page");
 * if (headerSizeProblem("swap", 0) !== undefined) throw new Error("no swap is fine");
 * ```
 */
export function headerSizeProblem(key: "mem" | "swap", n: number): string | undefined {
  if (key === "mem") {
    return n >= MEM_MIN && n <= MEM_MAX
      ? undefined
      : `Memory mem=${shown(n)} is out of range: from 4K (one page) to 4T`;
  }
  return n >= 0 && n <= SWAP_MAX ? undefined : `Swap swap=${shown(n)} is out of range: at most 4T`;
}

/**
 * What is wrong with a `run --mem` / `--swap` value (or the dashboard's), or `undefined`.
 *
 * @example
 * ```ts
 * import { optionSizeProblem } from "./limits.ts";
 * if (optionSizeProblem("mem", 64 * 1024) !== undefined) throw new Error("64K is fine");
 * if (optionSizeProblem("mem", 2 ** 53) === undefined) throw new Error("too much");
 * ```
 */
export function optionSizeProblem(key: "mem" | "swap", n: number): string | undefined {
  if (key === "mem") {
    return n >= MEM_OPTION_MIN && n <= MEM_MAX
      ? undefined
      : `expected 64K (16 pages) to 4T, found ${shown(n)}`;
  }
  return n >= 0 && n <= SWAP_MAX ? undefined : `expected at most 4T, found ${shown(n)}`;
}

/**
 * What is wrong with a `read`/`write` OFFSET and LEN, or `undefined`, with the field it is about.
 *
 * @example
 * ```ts
 * import { rwProblem } from "./limits.ts";
 * if (rwProblem(0, 8192) !== undefined) throw new Error("fine");
 * if (rwProblem(0, 2 ** 37)?.field !== "LEN") throw new Error("128G in one write");
 * ```
 */
export function rwProblem(
  offset: number,
  len: number,
): { field: "OFFSET" | "LEN"; message: string } | undefined {
  if (len > RW_MAX) {
    return {
      field: "LEN",
      message: `LEN ${shown(len)} of one read/write is out of range: at most 2147479552 ` +
        `(0x7ffff000, what one read(2) or write(2) moves on Linux); split it`,
    };
  }
  if (offset + len >= SIZE_LIMIT) {
    return {
      field: "OFFSET",
      message: `OFFSET+LEN ${offset}+${len} reaches 2^53: files end below that`,
    };
  }
  return undefined;
}

/**
 * What is wrong with the LEN of an `r`, `w` or `x`, or `undefined`.
 *
 * @example
 * ```ts
 * import { accessLenProblem } from "./limits.ts";
 * if (accessLenProblem(8) !== undefined) throw new Error("8 bytes are fine");
 * if (accessLenProblem(2 ** 37) === undefined) throw new Error("128G in one access");
 * ```
 */
export function accessLenProblem(len: number): string | undefined {
  return len <= ACCESS_MAX
    ? undefined
    : `LEN ${shown(len)} of one access is out of range: at most 1G (1073741824; split it)`;
}

/**
 * What is wrong with a `swapon` SIZE, or `undefined`.
 *
 * @example
 * ```ts
 * import { swaponSizeProblem } from "./limits.ts";
 * if (swaponSizeProblem(2 ** 42) !== undefined) throw new Error("4T is fine");
 * if (swaponSizeProblem(2 ** 46) === undefined) throw new Error("64T is not");
 * ```
 */
export function swaponSizeProblem(size: number): string | undefined {
  return size <= SWAP_MAX
    ? undefined
    : `Swap device SIZE ${shown(size)} is out of range: at most 4T`;
}
