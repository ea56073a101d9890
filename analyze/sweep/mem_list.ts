/**
 * The memory sizes of a sweep (`sweep --mem LIST`): a comma list of items, each a size (`512K`,
 * `4M`), a percentage of the trace's footprint (`50%`), or a geometric range `A..B:N` of N points
 * from A to B (sizes or percentages, not mixed). Range points are rounded to whole pages; sizes
 * under 64 KiB (16 pages) are refused; the result is sorted and without repeats.
 *
 * The footprint of a trace is the memory its accesses touch: its distinct (process, page) pairs
 * loaded, stored or fetched, times the page size, as `vmreplay stats` counts `pages touched`. A
 * page shared after fork counts once per process that touches it, so the footprint is an upper
 * bound of what the trace needs resident: at 100% nothing of it should have to leave memory.
 *
 * @module
 */
import { MEM_MAX } from "../../uapi/limits.ts";
import { PAGE_SIZE } from "../../trace/event.ts";

/** Smallest memory a sweep point may have, bytes (as `run --mem`). */
export const MIN_MEM = 16 * PAGE_SIZE;

/** One item of a list: a fixed size in bytes or a percentage of the footprint. */
export type MemItem = { bytes: number } | { percent: number };

/** A parsed `--mem` list (see the module doc). */
export interface MemList {
  /** The text as given. */
  text: string;
  /** Its items, ranges expanded, in the order given. */
  items: MemItem[];
}

const SIZE = /^(\d+(?:\.\d+)?)([KMGT]?)(?:i?B)?$/i;
const UNIT: Record<string, number> = { "": 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

function parseItem(text: string, list: string): MemItem {
  const t = text.trim();
  if (t.endsWith("%")) {
    const p = Number(t.slice(0, -1));
    if (t.length === 1 || !Number.isFinite(p) || p <= 0 || p > 1000) {
      throw new RangeError(
        `--mem '${list}': expected a percentage above 0% and at most 1000%, found '${t}'`,
      );
    }
    return { percent: p };
  }
  const m = SIZE.exec(t);
  if (!m) {
    throw new RangeError(
      `--mem '${list}': expected a size like 512K or 4M, a percentage like 50%, or a range ` +
        `A..B:N, found '${t}'`,
    );
  }
  return { bytes: Math.round(Number(m[1]) * UNIT[m[2]!.toUpperCase()]!) };
}

/**
 * Parses a `--mem` list; throws a `RangeError` naming the list and the bad item.
 *
 * @example
 * ```ts
 * import { parseMemList } from "./mem_list.ts";
 * const l = parseMemList("1M..8M:4");
 * if (l.items.length !== 4) throw new Error("expected 4 points");
 * if (parseMemList("10%,50%").items.length !== 2) throw new Error("expected 2 items");
 * ```
 */
export function parseMemList(text: string): MemList {
  const items: MemItem[] = [];
  const parts = text.split(",").map((s) => s.trim());
  if (parts.some((p) => p === "")) {
    throw new RangeError(`--mem '${text}': an empty item (expected e.g. 1M,2M,4M)`);
  }
  for (const part of parts) {
    const range = /^(.+)\.\.(.+):(\d+)$/.exec(part);
    if (!range) {
      if (part.includes("..")) {
        throw new RangeError(`--mem '${text}': expected a range as A..B:N, found '${part}'`);
      }
      items.push(parseItem(part, text));
      continue;
    }
    const a = parseItem(range[1]!, text), b = parseItem(range[2]!, text);
    const n = Number(range[3]);
    if (n < 2 || n > 1000) {
      throw new RangeError(`--mem '${text}': expected 2 to 1000 points in '${part}', found ${n}`);
    }
    if (("bytes" in a) !== ("bytes" in b)) {
      throw new RangeError(`--mem '${text}': '${part}' mixes a size and a percentage`);
    }
    const lo = "bytes" in a ? a.bytes : a.percent, hi = "bytes" in b ? b.bytes : b.percent;
    if (!(hi > lo)) throw new RangeError(`--mem '${text}': '${part}' must go from low to high`);
    for (let i = 0; i < n; i++) {
      const v = i === n - 1 ? hi : lo * (hi / lo) ** (i / (n - 1));
      // Sizes of a range fall on whole pages; percentages are resolved later.
      items.push("bytes" in a ? { bytes: Math.round(v / PAGE_SIZE) * PAGE_SIZE } : { percent: v });
    }
  }
  return { text, items };
}

/** Whether any item of `list` is a percentage (the footprint is then needed). */
export function needsFootprint(list: MemList): boolean {
  return list.items.some((i) => "percent" in i);
}

/**
 * The sizes of `list` for a trace of `footprint` bytes: percentages rounded to whole pages,
 * sorted, repeats dropped. Throws a `RangeError` for a size under {@linkcode MIN_MEM} or over 4T
 * (`uapi/limits.ts`).
 *
 * @example
 * ```ts
 * import { parseMemList, resolveMemList } from "./mem_list.ts";
 * const sizes = resolveMemList(parseMemList("50%,100%,1M"), 4 << 20);
 * if (sizes.join() !== String([1 << 20, 2 << 20, 4 << 20])) throw new Error(String(sizes));
 * ```
 */
export function resolveMemList(list: MemList, footprint?: number): number[] {
  const out = new Set<number>();
  for (const item of list.items) {
    let bytes: number;
    if ("bytes" in item) {
      bytes = item.bytes;
    } else {
      if (footprint === undefined) throw new RangeError("A percentage needs the footprint");
      bytes = Math.round((footprint * item.percent) / 100 / PAGE_SIZE) * PAGE_SIZE;
    }
    if (bytes > MEM_MAX) {
      throw new RangeError(
        `--mem '${list.text}': ${bytes} bytes is over the largest memory, 4T (2^30 pages)`,
      );
    }
    if (bytes < MIN_MEM) {
      const what = "percent" in item ? `${item.percent.toPrecision(3)}% of ${footprint} bytes` : "";
      throw new RangeError(
        `--mem '${list.text}': ${bytes} bytes${what ? ` (${what})` : ""} is under the smallest ` +
          `memory, 64K (16 pages)`,
      );
    }
    out.add(bytes);
  }
  return [...out].sort((a, b) => a - b);
}
