/**
 * A sweep's plan: the manifest of its jobs (one trace at one memory size, with every strategy),
 * written by `sweep plan -o plan.json` and read by `sweep run` (one shard of the jobs) and
 * `sweep merge`. It names each trace by path (relative to the plan's folder) and SHA-256, the
 * machine options and the vmreplay version; the same inputs give the same bytes.
 *
 * @module
 */
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { z } from "npm:zod@4.6.7";
import { VERSION } from "../version.ts";
import { traceInfoOfFile } from "../trace_info.ts";
import { type MemList, needsFootprint, resolveMemList } from "./mem_list.ts";
import { traceFootprint } from "./footprint.ts";

/** A trace of a plan. */
export interface PlanTrace {
  /** Its path: relative to the plan file's folder when the plan is a file, else as given. */
  path: string;
  /** Its base name (what the results store shows). */
  name: string;
  /** Bytes. */
  size: number;
  /** SHA-256 of the file, lowercase hex. */
  sha256: string;
  /** Footprint in bytes, when the sizes are percentages of it (see `mem_list.ts`). */
  footprint?: number;
}

/** One job: trace `trace` (an index into the plan's traces) at `mem` bytes. */
export interface PlanJob {
  /** Index of the trace in {@linkcode SweepPlan.traces}. */
  trace: number;
  /** Physical memory, bytes. */
  mem: number;
}

/** A sweep's manifest (see the module doc). */
export interface SweepPlan {
  /** Marks the file: always `vmreplay-sweep-plan`. */
  kind: "vmreplay-sweep-plan";
  /** The vmreplay version that wrote it; `sweep run` and `merge` refuse another. */
  version: string;
  /** The traces. */
  traces: PlanTrace[];
  /** The `--mem` list as given. */
  mem: string;
  /** Swap, bytes; null: each trace's header `swap=` (as `run`). */
  swap: number | null;
  /** Strategies each job replays. */
  strategies: string[];
  /** Kernel settings (`--vm NAME=VALUE`). */
  vm: Record<string, boolean | number>;
  /** The jobs, trace by trace, sizes ascending; a job's index is its place here. */
  jobs: PlanJob[];
}

/** Options of {@linkcode makePlan}. */
export interface MakePlanOptions {
  /** Trace paths (relative to the working directory). */
  traces: string[];
  /** The sizes. */
  mem: MemList;
  /** Swap, bytes (default: the trace headers'). */
  swap?: number;
  /** Strategies (resolved names). */
  strategies: string[];
  /** Kernel settings. */
  vm?: Record<string, boolean | number>;
  /** The plan file that will hold the plan: trace paths are written relative to its folder. */
  planFile?: string;
  /** Called before each trace is hashed (and its footprint counted). */
  onTrace?: (path: string) => void;
}

/**
 * Makes a plan: hashes every trace, counts its footprint when a size is a percentage, and lists
 * the jobs. Throws a `RangeError` for a size the list cannot give (under 64K).
 *
 * @example
 * ```ts
 * import { makePlan } from "./plan.ts";
 * import { parseMemList } from "./mem_list.ts";
 * const path = await Deno.makeTempFile({ suffix: ".vmt" });
 * await Deno.writeTextFile(path, "vmtrace 1\n1 mmap 0x10000 4K rw- private,anon\n1 w 0x10000\n");
 * const plan = await makePlan({ traces: [path], mem: parseMemList("1M,2M"), strategies: ["scan"] });
 * await Deno.remove(path);
 * if (plan.jobs.length !== 2 || plan.traces[0]!.sha256.length !== 64) throw new Error("bad plan");
 * ```
 */
export async function makePlan(opts: MakePlanOptions): Promise<SweepPlan> {
  const base = opts.planFile === undefined ? undefined : dirname(resolve(opts.planFile));
  const traces: PlanTrace[] = [];
  const jobs: PlanJob[] = [];
  for (const path of opts.traces) {
    opts.onTrace?.(path);
    const info = await traceInfoOfFile(path);
    const footprint = needsFootprint(opts.mem) ? await traceFootprint(path) : undefined;
    let sizes: number[];
    try {
      sizes = resolveMemList(opts.mem, footprint);
    } catch (e) {
      throw new RangeError(`${path}: ${(e as Error).message}`);
    }
    const k = traces.length;
    traces.push({
      path: base === undefined ? path : relative(base, resolve(path)),
      name: info.name,
      size: info.size,
      sha256: info.sha256,
      ...(footprint !== undefined ? { footprint } : {}),
    });
    for (const mem of sizes) jobs.push({ trace: k, mem });
  }
  return {
    kind: "vmreplay-sweep-plan",
    version: VERSION,
    traces,
    mem: opts.mem.text,
    swap: opts.swap ?? null,
    strategies: opts.strategies,
    vm: opts.vm ?? {},
    jobs,
  };
}

/** The plan as its file holds it: two-space JSON, keys in a fixed order. */
export function formatPlan(plan: SweepPlan): string {
  return JSON.stringify(plan, null, 2) + "\n";
}

/** SHA-256 of {@linkcode formatPlan}'s text: a plan's identity in the results store. */
export async function planId(plan: SweepPlan): Promise<string> {
  const bytes = new TextEncoder().encode(formatPlan(plan));
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

const whole = z.number().int().nonnegative();
const planSchema = z.object({
  kind: z.literal("vmreplay-sweep-plan"),
  version: z.string().min(1),
  traces: z.array(
    z.object({
      path: z.string().min(1),
      name: z.string().min(1),
      size: whole,
      sha256: z.string().regex(/^[0-9a-f]{64}$/, { error: "expected 64 hex digits" }),
      footprint: whole.optional(),
    }).strict(),
  ).min(1),
  mem: z.string(),
  swap: whole.nullable(),
  strategies: z.array(z.string().min(1)).min(1),
  vm: z.record(z.string(), z.union([z.boolean(), z.number()])),
  jobs: z.array(z.object({ trace: whole, mem: z.number().int().min(65536) }).strict()).min(1),
}).strict();

/**
 * Parses a plan file's text; throws a `SyntaxError` naming `file` and the field at fault.
 *
 * @example
 * ```ts
 * import { parsePlan } from "./plan.ts";
 * try {
 *   parsePlan('{"kind": "other"}', "plan.json");
 *   throw new Error("accepted");
 * } catch (e) {
 *   if (!(e as Error).message.startsWith("plan.json: ")) throw e;
 * }
 * ```
 */
export function parsePlan(text: string, file: string): SweepPlan {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new SyntaxError(`${file}: not JSON: ${(e as Error).message}`);
  }
  const r = planSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const at = issue.path.length > 0 ? ` at '${issue.path.join(".")}'` : "";
    throw new SyntaxError(`${file}: not a sweep plan${at}: ${issue.message}`);
  }
  const plan = r.data as SweepPlan;
  plan.jobs.forEach((j, i) => {
    if (j.trace >= plan.traces.length) {
      throw new SyntaxError(
        `${file}: job ${i} names trace ${j.trace}, the plan has ${plan.traces.length}`,
      );
    }
  });
  return plan;
}

/** Reads and parses the plan file `file` (see {@linkcode parsePlan}). */
export async function readPlan(file: string): Promise<SweepPlan> {
  return parsePlan(await Deno.readTextFile(file), file);
}

/** Where trace `k` of a plan read from `planFile` is (undefined `planFile`: paths as they are). */
export function tracePath(plan: SweepPlan, k: number, planFile?: string): string {
  const p = plan.traces[k]!.path;
  return planFile === undefined || isAbsolute(p) ? p : resolve(dirname(planFile), p);
}

/**
 * The indices of the jobs of shard `index` of `count`: those whose index is `index` mod `count`.
 *
 * @example
 * ```ts
 * import { shardJobs } from "./plan.ts";
 * if (shardJobs(8, 1, 3).join() !== "1,4,7") throw new Error("shard 1/3");
 * ```
 */
export function shardJobs(jobs: number, index: number, count: number): number[] {
  const out: number[] = [];
  for (let j = index; j < jobs; j += count) out.push(j);
  return out;
}

/**
 * Parses `I/N` (`--shard`): 0 <= I < N. Throws a `RangeError` saying what was expected.
 *
 * @example
 * ```ts
 * import { parseShard } from "./plan.ts";
 * const s = parseShard("2/3");
 * if (s.index !== 2 || s.count !== 3) throw new Error("2/3");
 * ```
 */
export function parseShard(text: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(m?.[1]), count = Number(m?.[2]);
  if (!m || count < 1 || index >= count || count > 1_000_000) {
    throw new RangeError(`--shard: expected I/N with 0 <= I < N (e.g. 0/4), found '${text}'`);
  }
  return { index, count };
}
