/**
 * vmreplay: replay recorded memory traces through a simulated MMU and Linux-like VM core, once per
 * reverse-mapping strategy, and compare what each design costs.
 *
 * @example
 * ```ts
 * import { EventBatch } from "./mod.ts";
 * const batch = new EventBatch(8);
 * batch.push({ pid: 1, op: "mmap", addr: 0x10000, len: 8192, prot: 3, flags: 5 });
 * batch.push({ pid: 1, op: "w", addr: 0x10000, len: 1 });
 * if (batch.length !== 2) throw new Error("expected two events");
 * ```
 *
 * @module
 */
export * from "./trace/event.ts";
export * from "./trace/batch.ts";
export * from "./trace/error.ts";
export * from "./trace/syntax.ts";
export * from "./trace/text/parse.ts";
export * from "./trace/text/stringify.ts";
export * from "./trace/builder.ts";
export * from "./trace/format.ts";
export * from "./trace/read.ts";
export * from "./trace/write.ts";
export * from "./trace/text/parser.ts";
export * from "./trace/stats.ts";
export * from "./trace/check.ts";
export * from "./trace/gen/workload.ts";
export * from "./trace/gen/registry.ts";
export * from "./trace/gen/generate.ts";
export * from "./trace/import/strace/importer.ts";
export * from "./trace/import/lackey/importer.ts";
export * from "./trace/import/perf/importer.ts";
export * from "./trace/import/perf/command.ts";
export * from "./trace/import/champsim/importer.ts";
export * from "./trace/import/lackey/proc_maps.ts";
export * from "./trace/import/import_stats.ts";
export type * from "./trace/import/area_map.ts";
export type { ByteSource } from "./trace/_io.ts";
export * from "./core/counters.ts";
export * from "./uapi/event.ts";
export type { KnobInfo, VmKnobs } from "./uapi/knobs.ts";
export * from "./core/machine.ts";
export type { Mappings } from "./core/mm/object.ts";
export type { PageMap } from "./core/mm/page_map.ts";
export type { PageStamps } from "./core/mm/page_stamps.ts";
export * from "./core/run_batch.ts";
export * from "./core/rmap/registry.ts";
export * from "./core/rmap/base.ts";
export type * from "./core/rmap/strategy.ts";
export type * from "./analyze/result.ts";
export * from "./analyze/store.ts";
export * from "./analyze/trace_info.ts";
export * from "./core/reference.ts";
export * from "./analyze/replay.ts";
export * from "./analyze/replay_strategy.ts";
export * from "./analyze/phases.ts";
export * from "./analyze/series.ts";
export * from "./analyze/cost.ts";
export * from "./analyze/report.ts";
export * from "./analyze/verify.ts";
export * from "./analyze/sweep/mem_list.ts";
export * from "./analyze/sweep/footprint.ts";
export * from "./analyze/sweep/plan.ts";
export * from "./analyze/sweep/run.ts";
export * from "./analyze/sweep/store.ts";
export * from "./analyze/sweep/report.ts";
export * from "./analyze/sweep/slurm.ts";
