/**
 * Every workload generator by name, in the order `gen --list` shows them. Each strategy's
 * pathology has a workload here that reproduces it (docs/strategies.md).
 *
 * @module
 */
import type { Workload } from "./workload.ts";
import { aim7 } from "./aim7.ts";
import { forkChain } from "./fork_chain.ts";
import { mremapAfterFork } from "./mremap_after_fork.ts";
import { forkServer } from "./fork_server.ts";
import { zygote } from "./zygote.ts";
import { sharedAnon } from "./shared_anon.ts";
import { tmpfsPages } from "./tmpfs_pages.ts";
import { scanPressure } from "./scan_pressure.ts";
import { random } from "./random.ts";

/**
 * The workloads, keyed by the name `gen` takes.
 *
 * @example
 * ```ts
 * import { WORKLOADS } from "./registry.ts";
 * if (!("aim7" in WORKLOADS)) throw new Error("aim7 missing");
 * ```
 */
export const WORKLOADS: Readonly<Record<string, Workload>> = Object.fromEntries(
  [
    aim7,
    forkChain,
    mremapAfterFork,
    forkServer,
    zygote,
    sharedAnon,
    tmpfsPages,
    scanPressure,
    random,
  ]
    .map((w) => [w.name, w]),
);
