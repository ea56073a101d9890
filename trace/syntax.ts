/**
 * The small pieces of vmtrace text syntax shared by every form and by the builders: numbers with
 * size suffixes, `PROT`, `FLAGS`, object names. These work on strings and may allocate; the
 * streaming text parser has byte-level versions of the same rules on its hot path.
 *
 * @module
 */
import { type Addr, MapFlag, type MapFlagName, type OpName, SYSTEM_OPS } from "./event.ts";

/** Largest address accepted (exclusive): 2^57, the x86-64 5-level-paging address space. */
export const ADDR_LIMIT = 2n ** 57n;
/** Largest plain number accepted (exclusive): 2^53, so that a JS number holds it exactly. */
export const NUM_LIMIT = 2 ** 53;
/** Object name prefixes (`file:PATH`, `tmpfs:PATH`, `shm:KEY`). */
export const OBJECT_PREFIXES = ["file:", "tmpfs:", "shm:"] as const;

const SUFFIX: Record<string, bigint> = { "": 1n, k: 1024n, m: 1024n ** 2n, g: 1024n ** 3n };
const NUM_RE = /^(0[xX][0-9a-fA-F]+|[0-9]+)([kKmMgG]?)$/;

/**
 * Parses a vmtrace number: decimal or `0x` hex, with an optional binary suffix `K`, `M` or `G`.
 * Returns a number when it is below 2^53, a bigint above, and `undefined` when `text` is not a
 * number.
 *
 * @example
 * ```ts
 * import { parseNumber } from "./syntax.ts";
 * if (parseNumber("64K") !== 65536) throw new Error("64K");
 * if (parseNumber("0x200000000000000") !== 2n ** 57n) throw new Error("big");
 * ```
 */
export function parseNumber(text: string): Addr | undefined {
  const fast = plainNumber(text);
  if (fast >= 0) return fast;
  const m = NUM_RE.exec(text);
  if (!m) return undefined;
  const v = BigInt(m[1]!) * SUFFIX[m[2]!.toLowerCase()]!;
  return v < BigInt(NUM_LIMIT) ? Number(v) : v;
}

/**
 * The common case of {@linkcode parseNumber} without a regular expression or a bigint: `0x` and up
 * to 13 hex digits, or up to 15 decimal digits, no suffix (all exact below 2^53). -1 otherwise.
 */
function plainNumber(text: string): number {
  const n = text.length;
  let v = 0;
  if (n > 2 && n <= 15 && text.charCodeAt(0) === 48 && (text.charCodeAt(1) | 32) === 120) {
    for (let i = 2; i < n; i++) {
      const c = text.charCodeAt(i);
      const d = c >= 48 && c <= 57
        ? c - 48
        : (c | 32) >= 97 && (c | 32) <= 102
        ? (c | 32) - 87
        : -1;
      if (d < 0) return -1;
      v = v * 16 + d;
    }
    return v;
  }
  if (n === 0 || n > 15) return -1;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    v = v * 10 + (c - 48);
  }
  return v;
}

/**
 * Formats an address the canonical way: lower-case hex with `0x`.
 *
 * @example
 * ```ts
 * import { formatAddr } from "./syntax.ts";
 * if (formatAddr(4096) !== "0x1000") throw new Error("hex");
 * ```
 */
export function formatAddr(addr: Addr): string {
  return "0x" + addr.toString(16);
}

/**
 * Formats a size the canonical way: with the largest binary suffix that divides it exactly and
 * leaves fewer than five digits (`1M`, `4K`, `3G`), else in decimal.
 *
 * @example
 * ```ts
 * import { formatSize } from "./syntax.ts";
 * if (formatSize(2 ** 20) !== "1M" || formatSize(100) !== "100") throw new Error("size");
 * ```
 */
export function formatSize(n: number): string {
  if (n === 0) return "0";
  if (n % 2 ** 30 === 0 && n / 2 ** 30 < 10000) return `${n / 2 ** 30}G`;
  if (n % 2 ** 20 === 0 && n / 2 ** 20 < 10000) return `${n / 2 ** 20}M`;
  if (n % 1024 === 0 && n / 1024 < 10000) return `${n / 1024}K`;
  return String(n);
}

/**
 * Parses `PROT` (`rw-`, `r-x`, `---`) into {@linkcode Prot} bits, or `undefined` if malformed.
 *
 * @example
 * ```ts
 * import { parseProt } from "./syntax.ts";
 * if (parseProt("rw-") !== 3 || parseProt("wr-") !== undefined) throw new Error("prot");
 * ```
 */
export function parseProt(text: string): number | undefined {
  if (text.length !== 3) return undefined;
  let bits = 0;
  const want = "rwx";
  for (let i = 0; i < 3; i++) {
    const c = text[i];
    if (c === want[i]) bits |= 1 << i;
    else if (c !== "-") return undefined;
  }
  return bits;
}

/**
 * Formats {@linkcode Prot} bits as `PROT`.
 *
 * @example
 * ```ts
 * import { formatProt } from "./syntax.ts";
 * if (formatProt(5) !== "r-x") throw new Error("prot");
 * ```
 */
export function formatProt(bits: number): string {
  return (bits & 1 ? "r" : "-") + (bits & 2 ? "w" : "-") + (bits & 4 ? "x" : "-");
}

const FLAG_NAMES = Object.keys(MapFlag) as MapFlagName[];

/**
 * Parses `FLAGS` (`private,anon`) into {@linkcode MapFlag} bits. Returns an error message (a
 * string starting with a capital letter) when malformed: an unknown name, or not exactly one of
 * `private`/`shared`.
 *
 * @example
 * ```ts
 * import { parseFlags } from "./syntax.ts";
 * if (parseFlags("private,anon") !== 5) throw new Error("flags");
 * if (typeof parseFlags("anon") !== "string") throw new Error("must need private or shared");
 * ```
 */
export function parseFlags(text: string): number | string {
  let bits = 0;
  for (const name of text.split(",")) {
    const bit = (MapFlag as Record<string, number>)[name];
    if (bit === undefined || !Object.hasOwn(MapFlag, name)) {
      return `Unknown mapping flag '${name}' (expected private or shared, plus any of ` +
        `anon, populate, locked, growsdown, noreserve)`;
    }
    bits |= bit;
  }
  return checkFlagBits(bits) ?? bits;
}

/**
 * Returns an error message when `bits` do not hold exactly one of private/shared, or hold unknown
 * bits; `undefined` when they are valid {@linkcode MapFlag} bits.
 *
 * @example
 * ```ts
 * import { checkFlagBits } from "./syntax.ts";
 * if (checkFlagBits(5) !== undefined || checkFlagBits(3) === undefined) throw new Error();
 * ```
 */
export function checkFlagBits(bits: number): string | undefined {
  if (!Number.isInteger(bits) || bits < 0 || bits > 0x7f) return `Bad mapping flags ${bits}`;
  const kind = bits & (MapFlag.private | MapFlag.shared);
  if (kind === 0) return "Mapping flags need one of private or shared, found neither";
  if (kind === (MapFlag.private | MapFlag.shared)) {
    return "Mapping flags need exactly one of private or shared, found both";
  }
  return undefined;
}

/**
 * Formats {@linkcode MapFlag} bits as `FLAGS`, in the canonical order.
 *
 * @example
 * ```ts
 * import { formatFlags } from "./syntax.ts";
 * if (formatFlags(5) !== "private,anon") throw new Error("flags");
 * ```
 */
export function formatFlags(bits: number): string {
  return FLAG_NAMES.filter((n) => bits & MapFlag[n]).join(",");
}

/**
 * Checks a name that must be one token of text (an object, a swap device, a mark label): returns
 * an error message or `undefined`. Objects must also carry a known prefix.
 *
 * @example
 * ```ts
 * import { checkName } from "./syntax.ts";
 * if (checkName("file:/etc/passwd", "object") !== undefined) throw new Error("valid");
 * if (checkName("disk:/x", "object") === undefined) throw new Error("unknown prefix");
 * ```
 */
export function checkName(s: string, kind: "object" | "name" | "label"): string | undefined {
  if (s.length === 0) return `Empty ${kind}`;
  if (/[\s#]/.test(s)) return `Bad ${kind} '${s}': it may not contain spaces or '#'`;
  if (kind === "object") {
    const p = OBJECT_PREFIXES.find((p) => s.startsWith(p));
    if (p === undefined) {
      return `Unknown object prefix in '${s}' (expected file:PATH, tmpfs:PATH or shm:KEY)`;
    }
    if (s.length === p.length) return `Empty object name after '${p}'`;
  }
  return undefined;
}

/**
 * True for the operations whose PID is `-` (system events).
 *
 * @example
 * ```ts
 * import { isSystemOp } from "./syntax.ts";
 * if (!isSystemOp("mark") || isSystemOp("fork")) throw new Error();
 * ```
 */
export function isSystemOp(op: OpName): boolean {
  return SYSTEM_OPS.has(op);
}
