/**
 * Reading the JSON Lines form: {@linkcode eventFromJson} and {@linkcode headerFromJson} check a
 * parsed line with one zod schema per op ({@linkcode EVENT_SCHEMAS}); {@linkcode fieldColumn}
 * finds the column an error is about.
 *
 * @module
 */
import { z } from "npm:zod@4.6.7";
import { mmapOffsetProblem } from "../check.ts";
import { type Addr, ADVICES, type Event, type OpName, OPS, type TraceHeader } from "../event.ts";
import {
  ACCESS_MAX,
  accessLenProblem,
  headerSizeProblem,
  rwProblem,
  swaponSizeProblem,
} from "../../uapi/limits.ts";
import {
  ADDR_LIMIT,
  checkFlagBits,
  checkName,
  parseFlags,
  parseNumber,
  parseProt,
} from "../syntax.ts";

const numberish = z.union([z.number(), z.string()], {
  error: 'expected a number or a string like "0x1000" or "64K"',
});

/** An address: a number below 2^53 or a string (`"0x7f0000000000"`) below 2^57. */
const addr = numberish.transform((v, ctx): Addr => {
  const n = typeof v === "string" ? parseNumber(v) : v;
  if (n === undefined || (typeof n === "number" && (!Number.isInteger(n) || n < 0))) {
    ctx.addIssue({ code: "custom", message: `expected an address, found ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  if (typeof n === "number" && n > Number.MAX_SAFE_INTEGER) {
    ctx.addIssue({
      code: "custom",
      message: `address ${v} is not exact as a JSON number: write it as a "0x..." string`,
    });
    return z.NEVER;
  }
  if (BigInt(n) >= ADDR_LIMIT) {
    ctx.addIssue({ code: "custom", message: `address ${v} is beyond the 2^57 address space` });
    return z.NEVER;
  }
  return n;
});

/** A non-negative integer below 2^53, as a number or a string (`"64K"`). */
const size = numberish.transform((v, ctx): number => {
  const n = typeof v === "string" ? parseNumber(v) : v;
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) {
    ctx.addIssue({
      code: "custom",
      message: `expected a non-negative integer below 2^53, found ${JSON.stringify(v)}`,
    });
    return z.NEVER;
  }
  return n;
});

const pid = z.number({ error: "expected a process id (a positive integer)" }).int(
  "expected a process id (a positive integer)",
).min(1, "PID 0 is not allowed: process ids start at 1").max(0x7fffffff, "too large a PID");
const sysPid = z.union([z.literal("-"), z.literal(0)], {
  error: 'a system event\'s pid is "-" (or 0)',
}).optional().transform(() => 0);

const prot = z.union([z.string(), z.number()]).transform((v, ctx): number => {
  const p = typeof v === "string"
    ? parseProt(v)
    : Number.isInteger(v) && v >= 0 && v <= 7
    ? v
    : undefined;
  if (p === undefined) {
    ctx.addIssue({
      code: "custom",
      message: `expected PROT like "rw-", found ${JSON.stringify(v)}`,
    });
    return z.NEVER;
  }
  return p;
});

const flags = z.union([z.string(), z.number()]).transform((v, ctx): number => {
  const f = typeof v === "string" ? parseFlags(v) : (checkFlagBits(v) ?? v);
  if (typeof f === "string") {
    ctx.addIssue({ code: "custom", message: f });
    return z.NEVER;
  }
  return f;
});

const name = (kind: "object" | "name" | "label") =>
  z.string({ error: `expected a string` }).superRefine((s, ctx) => {
    const e = checkName(s, kind);
    if (e !== undefined) ctx.addIssue({ code: "custom", message: e });
  });

const line = z.number().optional();

/** An access's LEN (default 1) in its range (`limits.ts`). */
const accessLen = size.superRefine((n, ctx) => {
  const problem = accessLenProblem(n);
  if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
}).default(1);

/** A read/write's OFFSET and LEN in their ranges (`limits.ts`). */
function rwRange(e: { offset: number; len: number }, ctx: z.RefinementCtx): void {
  const problem = rwProblem(e.offset, e.len);
  if (problem !== undefined) {
    ctx.addIssue({
      code: "custom",
      path: [problem.field === "LEN" ? "len" : "offset"],
      message: problem.message,
    });
  }
}

/** A header's `mem` or `swap` in its range (`limits.ts`). */
const headerSize = (key: "mem" | "swap") =>
  size.superRefine((n, ctx) => {
    const problem = headerSizeProblem(key, n);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
  });
const range = { pid, addr, len: size, line };

/** One zod schema per op, each a strict object (unknown fields are errors). */
export const EVENT_SCHEMAS: Record<OpName, z.ZodType<Event>> = {
  mmap: z.strictObject({
    pid,
    op: z.literal("mmap"),
    addr,
    len: size,
    prot,
    flags,
    object: name("object").optional(),
    offset: size.optional(),
    line,
  }).superRefine((e, ctx) => {
    if (e.offset !== undefined && e.object === undefined) {
      ctx.addIssue({ code: "custom", path: ["offset"], message: "offset needs an object" });
    }
    const problem = e.offset === undefined ? undefined : mmapOffsetProblem(e.offset);
    if (problem !== undefined) ctx.addIssue({ code: "custom", path: ["offset"], message: problem });
  }),
  munmap: z.strictObject({ ...range, op: z.literal("munmap") }),
  mlock: z.strictObject({ ...range, op: z.literal("mlock") }),
  munlock: z.strictObject({ ...range, op: z.literal("munlock") }),
  msync: z.strictObject({ ...range, op: z.literal("msync") }),
  r: z.strictObject({ ...range, len: accessLen, op: z.literal("r") }),
  w: z.strictObject({ ...range, len: accessLen, op: z.literal("w") }),
  x: z.strictObject({ ...range, len: accessLen, op: z.literal("x") }),
  mremap: z.strictObject({ ...range, op: z.literal("mremap"), newAddr: addr, newLen: size }),
  mprotect: z.strictObject({ ...range, op: z.literal("mprotect"), prot }),
  madvise: z.strictObject({ ...range, op: z.literal("madvise"), advice: z.enum(ADVICES) }),
  fork: z.strictObject({ pid, op: z.literal("fork"), child: pid, line }),
  clone: z.strictObject({ pid, op: z.literal("clone"), child: pid, line }),
  exec: z.strictObject({ pid, op: z.literal("exec"), line }),
  exit: z.strictObject({ pid, op: z.literal("exit"), line }),
  create: z.strictObject({ pid, op: z.literal("create"), object: name("object"), size, line }),
  truncate: z.strictObject({ pid, op: z.literal("truncate"), object: name("object"), size, line }),
  read: z.strictObject({
    pid,
    op: z.literal("read"),
    object: name("object"),
    offset: size,
    len: size,
    line,
  }).superRefine(rwRange),
  write: z.strictObject({
    pid,
    op: z.literal("write"),
    object: name("object"),
    offset: size,
    len: size,
    line,
  }).superRefine(rwRange),
  unlink: z.strictObject({ pid, op: z.literal("unlink"), object: name("object"), line }),
  fsync: z.strictObject({ pid, op: z.literal("fsync"), object: name("object"), line }),
  swapon: z.strictObject({
    pid: sysPid,
    op: z.literal("swapon"),
    name: name("name"),
    size: size.superRefine((n, ctx) => {
      const problem = swaponSizeProblem(n);
      if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
    }),
    prio: z.number().int("expected an integer priority").optional(),
    line,
  }),
  swapoff: z.strictObject({ pid: sysPid, op: z.literal("swapoff"), name: name("name"), line }),
  reclaim: z.strictObject({ pid: sysPid, op: z.literal("reclaim"), pages: size, line }),
  mark: z.strictObject({ pid: sysPid, op: z.literal("mark"), label: name("label"), line }),
} as unknown as Record<OpName, z.ZodType<Event>>;

const headerSchema = z.strictObject({
  vmtrace: z.literal(1, { error: "unsupported vmtrace version (this reader knows version 1)" }),
  mem: headerSize("mem").optional(),
  swap: headerSize("swap").optional(),
  page: z.literal(4096, { error: "only page=4096 is modelled" }).optional(),
  extra: z.record(z.string(), z.string()).optional(),
});

/** A problem with one JSON object: the message and the field it is about, if any. */
export interface FieldError {
  /** What is wrong, starting with a capital letter. */
  message: string;
  /** The field the problem is in. */
  field?: string;
}

/**
 * Validates one parsed JSON value as an event. Returns the event (without `line`, which the
 * caller sets) or a {@linkcode FieldError}.
 *
 * @example
 * ```ts
 * import { eventFromJson } from "./parse.ts";
 * const ev = eventFromJson({ pid: 1, op: "w", addr: "0x1000" });
 * if ("message" in ev || ev.op !== "w" || ev.addr !== 4096) throw new Error("jsonl");
 * ```
 */
export function eventFromJson(value: unknown): Event | FieldError {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { message: "Expected a JSON object with pid and op fields" };
  }
  const op = (value as { op?: unknown }).op;
  if (op === undefined) return { message: "Missing field 'op'", field: "op" };
  if (typeof op !== "string" || !(OPS as readonly unknown[]).includes(op)) {
    return {
      message: `Unknown op ${JSON.stringify(op)} (expected one of ${OPS.join(", ")})`,
      field: "op",
    };
  }
  if (op === "r" || op === "w" || op === "x") {
    const ev = plainAccess(value as Record<string, unknown>, op);
    if (ev !== undefined) return ev;
  }
  const r = EVENT_SCHEMAS[op as OpName].safeParse(value);
  if (r.success) {
    const ev = r.data;
    delete ev.line;
    return ev;
  }
  return issueToError(r.error.issues[0]!, op, value as Record<string, unknown>);
}

/**
 * A load, store or fetch in its plain form (`pid`, `op`, `addr` and optionally `len` and `line`,
 * each of the simple kind), checked by hand: what its zod schema would give, without the schema's
 * cost per event. Undefined for anything else, which the schema then validates (and explains).
 */
function plainAccess(v: Record<string, unknown>, op: "r" | "w" | "x"): Event | undefined {
  for (const k in v) {
    if (k !== "pid" && k !== "op" && k !== "addr" && k !== "len" && k !== "line") return undefined;
  }
  const pid = v.pid;
  if (typeof pid !== "number" || !Number.isInteger(pid) || pid < 1 || pid > 0x7fffffff) {
    return undefined;
  }
  const a = v.addr;
  const addr = typeof a === "string" ? parseNumber(a) : a;
  if (typeof addr !== "number" || !Number.isSafeInteger(addr) || addr < 0) return undefined;
  const l = v.len;
  const len = l === undefined ? 1 : typeof l === "string" ? parseNumber(l) : l;
  if (typeof len !== "number" || !Number.isSafeInteger(len) || len < 0 || len > ACCESS_MAX) {
    return undefined;
  }
  if (v.line !== undefined && typeof v.line !== "number") return undefined;
  return { pid, op, addr, len };
}

function issueToError(
  issue: z.core.$ZodIssue,
  op: string,
  value: Record<string, unknown>,
): FieldError {
  if (issue.code === "unrecognized_keys") {
    return {
      message: `Unexpected field '${issue.keys[0]}' in '${op}'`,
      field: issue.keys[0]!,
    };
  }
  const field = issue.path.length > 0 ? String(issue.path[0]) : undefined;
  if (field === undefined) return { message: issue.message };
  const missing = value[field] === undefined;
  return {
    message: missing
      ? `Missing field '${field}' of '${op}'`
      : `Field '${field}' of '${op}': ${issue.message}`,
    field,
  };
}

/**
 * Validates one parsed JSON value as a header object (`{"vmtrace":1,"mem":8388608}`).
 *
 * @example
 * ```ts
 * import { headerFromJson } from "./parse.ts";
 * const h = headerFromJson({ vmtrace: 1, mem: "8M" });
 * if ("message" in h || h.mem !== 8 << 20) throw new Error("header");
 * ```
 */
export function headerFromJson(value: unknown): TraceHeader | FieldError {
  const r = headerSchema.safeParse(value);
  if (!r.success) {
    const e = issueToError(r.error.issues[0]!, "header", value as Record<string, unknown>);
    return { ...e, message: e.message.replace("'header'", "the header") };
  }
  const h: TraceHeader = { version: 1 };
  if (r.data.mem !== undefined) h.mem = r.data.mem;
  if (r.data.swap !== undefined) h.swap = r.data.swap;
  if (r.data.page !== undefined) h.page = r.data.page;
  if (r.data.extra !== undefined) h.extra = r.data.extra;
  return h;
}

/**
 * The 1-based column of `"field"` in a JSON line, or 1 when it cannot be found.
 *
 * @example
 * ```ts
 * import { fieldColumn } from "./parse.ts";
 * if (fieldColumn('{"pid":1,"op":"w"}', "op") !== 10) throw new Error();
 * ```
 */
export function fieldColumn(line: string, field: string | undefined): number {
  if (field === undefined) return 1;
  const i = line.indexOf(JSON.stringify(field) + ":");
  const j = i >= 0 ? i : line.indexOf(JSON.stringify(field));
  return j >= 0 ? j + 1 : 1;
}
