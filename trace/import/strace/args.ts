/**
 * Decoding `strace` argument lists: splitting at top-level commas, numbers, flag sets
 * (`PROT_READ|PROT_WRITE`, `MAP_PRIVATE|0x40000`) and `-y` file-descriptor decorations
 * (`3</usr/lib/libc.so.6>`).
 *
 * @module
 */
import type { Addr } from "../../event.ts";

/**
 * Splits an argument list at the commas that are not inside brackets, braces, parentheses,
 * quotes or an fd's `<path>` decoration. Each argument is trimmed.
 *
 * @example
 * ```ts
 * import { splitArgs } from "./args.ts";
 * const a = splitArgs('NULL, 8192, PROT_READ, MAP_PRIVATE, 3</a,b>, {x=1, y=[2, 3]}');
 * if (a.length !== 6 || a[4] !== "3</a,b>") throw new Error(JSON.stringify(a));
 * ```
 */
export function splitArgs(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      i++;
      while (i < n && text.charCodeAt(i) !== 34) i += text.charCodeAt(i) === 92 ? 2 : 1;
    } else if (c === 60 /* < */ && i > 0 && isDigit(text.charCodeAt(i - 1))) {
      // An fd decoration runs to the `>` that ends the argument (paths may hold `,` or `>`).
      let j = i + 1;
      let close = -1;
      while (j < n) {
        if (text.charCodeAt(j) === 62) {
          const rest = text.slice(j + 1).trimStart();
          if (
            rest === "" || rest.startsWith(",") || rest.startsWith(")") ||
            rest.startsWith("(deleted)")
          ) {
            close = j;
            break;
          }
        }
        j++;
      }
      i = close < 0 ? n : close;
    } else if (c === 40 || c === 91 || c === 123) depth++;
    else if (c === 41 || c === 93 || c === 125) depth--;
    else if (c === 44 /* , */ && depth === 0) {
      out.push(text.slice(start, i).trim());
      start = i + 1;
    }
    i++;
  }
  const last = text.slice(start).trim();
  if (last.length > 0 || out.length > 0) out.push(last);
  return out;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

const TWO53 = 2 ** 53;

/**
 * Parses a decimal or `0x` hex integer (`NULL` is 0); `undefined` if `text` is not one. Values at
 * or above 2^53 come back as bigint, so addresses stay exact.
 *
 * @example
 * ```ts
 * import { parseInteger } from "./args.ts";
 * if (parseInteger("0x7f0000001000") !== 0x7f0000001000) throw new Error("hex");
 * if (parseInteger("NULL") !== 0 || parseInteger("abc") !== undefined) throw new Error("other");
 * ```
 */
export function parseInteger(text: string): Addr | undefined {
  const t = text.trim();
  if (t === "NULL") return 0;
  if (!/^(?:-?\d+|0x[0-9a-fA-F]+)$/.test(t)) return undefined;
  const v = Number(t);
  if (Math.abs(v) < TWO53) return v;
  return BigInt(t);
}

/**
 * Parses an integer that must fit a JS number exactly (lengths, offsets, ids); `undefined`
 * otherwise.
 */
export function parseSmall(text: string): number | undefined {
  const v = parseInteger(text);
  return typeof v === "number" ? v : undefined;
}

/**
 * Decodes a flag set such as `PROT_READ|PROT_WRITE` or `MAP_SHARED|0x40` with `names` (name →
 * bit value). Returns the bits, or `undefined` when a part is neither a known name nor a number.
 *
 * @example
 * ```ts
 * import { parseFlags } from "./args.ts";
 * if (parseFlags("A|0x10", { A: 1 }) !== 17) throw new Error("flags");
 * ```
 */
export function parseFlags(text: string, names: Record<string, number>): number | undefined {
  let bits = 0;
  for (const part of text.trim().split("|")) {
    const p = part.trim();
    const known = names[p];
    if (known !== undefined) {
      bits |= known;
      continue;
    }
    const v = parseSmall(p);
    if (v === undefined) return undefined;
    bits |= v;
  }
  return bits;
}

/** The fd number and its `-y` path (if decorated) of an argument like `3</usr/lib/x.so>`. */
export function parseFd(text: string): { fd: number; path: string | null } | undefined {
  const m = /^(-?\d+)(?:<(.*)>)?(?:\s*\(deleted\))?$/s.exec(text.trim());
  if (!m) return undefined;
  let path = m[2] ?? null;
  if (path !== null && path.endsWith(" (deleted)")) path = path.slice(0, -" (deleted)".length);
  return { fd: Number(m[1]), path };
}

/** Decodes a C string literal as strace prints it (`"a\"b\n"`), ignoring a trailing `...`. */
export function parseCString(text: string): string | undefined {
  const m = /^"((?:[^"\\]|\\.)*)"(?:\.\.\.)?$/s.exec(text.trim());
  if (!m) return undefined;
  return m[1]!.replace(/\\(x[0-9a-fA-F]{2}|[0-7]{1,3}|.)/g, (_all, e: string) => {
    if (e.startsWith("x")) return String.fromCharCode(parseInt(e.slice(1), 16));
    if (/^[0-7]/.test(e)) return String.fromCharCode(parseInt(e, 8));
    return ({ n: "\n", t: "\t", r: "\r", v: "\v", f: "\f" } as Record<string, string>)[e] ?? e;
  });
}

/** Linux's `PROT_*` bits, by name. */
export const PROT_NAMES: Record<string, number> = {
  PROT_NONE: 0,
  PROT_READ: 1,
  PROT_WRITE: 2,
  PROT_EXEC: 4,
  PROT_SEM: 8,
  PROT_GROWSDOWN: 0x01000000,
  PROT_GROWSUP: 0x02000000,
};

/** Linux's `MAP_*` bits (x86-64), by name. */
export const MAP_NAMES: Record<string, number> = {
  MAP_SHARED: 0x01,
  MAP_PRIVATE: 0x02,
  MAP_SHARED_VALIDATE: 0x03,
  MAP_FIXED: 0x10,
  MAP_ANONYMOUS: 0x20,
  MAP_ANON: 0x20,
  MAP_32BIT: 0x40,
  MAP_GROWSDOWN: 0x100,
  MAP_DENYWRITE: 0x800,
  MAP_EXECUTABLE: 0x1000,
  MAP_LOCKED: 0x2000,
  MAP_NORESERVE: 0x4000,
  MAP_POPULATE: 0x8000,
  MAP_NONBLOCK: 0x10000,
  MAP_STACK: 0x20000,
  MAP_HUGETLB: 0x40000,
  MAP_SYNC: 0x80000,
  MAP_FIXED_NOREPLACE: 0x100000,
  MAP_UNINITIALIZED: 0x4000000,
};

/** Linux's `CLONE_*` bits (and the exit signal names strace ORs in), by name. */
export const CLONE_NAMES: Record<string, number> = {
  CLONE_VM: 0x100,
  CLONE_FS: 0x200,
  CLONE_FILES: 0x400,
  CLONE_SIGHAND: 0x800,
  CLONE_PIDFD: 0x1000,
  CLONE_PTRACE: 0x2000,
  CLONE_VFORK: 0x4000,
  CLONE_PARENT: 0x8000,
  CLONE_THREAD: 0x10000,
  CLONE_NEWNS: 0x20000,
  CLONE_SYSVSEM: 0x40000,
  CLONE_SETTLS: 0x80000,
  CLONE_PARENT_SETTID: 0x100000,
  CLONE_CHILD_CLEARTID: 0x200000,
  CLONE_DETACHED: 0x400000,
  CLONE_UNTRACED: 0x800000,
  CLONE_CHILD_SETTID: 0x1000000,
  CLONE_NEWCGROUP: 0x2000000,
  CLONE_NEWUTS: 0x4000000,
  CLONE_NEWIPC: 0x8000000,
  CLONE_NEWUSER: 0x10000000,
  CLONE_NEWPID: 0x20000000,
  CLONE_NEWNET: 0x40000000,
  CLONE_IO: 0x80000000,
  CLONE_CLEAR_SIGHAND: 0,
  CLONE_INTO_CGROUP: 0,
  CLONE_NEWTIME: 0,
};
