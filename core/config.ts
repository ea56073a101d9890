/**
 * The options of a machine ({@linkcode MachineConfig}) and the problems it reports
 * ({@linkcode Diagnostic}), apart from `machine.ts` so that the parts of the machine can name
 * them without importing the machine.
 *
 * @module
 */
import type { VmKnobs } from "../uapi/knobs.ts";

/** Machine options. */
export interface MachineConfig {
  /** Physical memory in pages. */
  memPages: number;
  /** Swap in pages (a device named `swap`, unless the trace brings its own; see `machine.ts`). */
  swapPages: number;
  /** TLB entries (default 1536, a Skylake STLB). */
  tlbEntries?: number;
  /** Reverse-mapping strategy name (`core/rmap/registry.ts`). */
  strategy: string;
  /** Verify invariants after every event (slow; failures: diagnostics of kind "check"). */
  check?: boolean;
  /**
   * With `check`: verify them after every this many events instead (default 1), and when
   * `Machine.checkNow` is called (after the last event). A failure then names the
   * line where invariants last held.
   */
  checkEvery?: number;
  /** Record the pages and stamps each r/x event loads (`loadCount`, `loadVpage`, `loadStamp`). */
  recordLoads?: boolean;
  /**
   * A dedicated swap area of this many pages for shared anonymous memory (the "separate swap area
   * for shared anonymous pages" Linus Torvalds proposed on linux-kernel in January 1998); it is
   * used first by shared anonymous pages and never by others.
   */
  sharedAnonSwapPages?: number;
  /** Kernel settings (`uapi/knobs.ts`); those not given take their stock Linux value. */
  vm?: Partial<VmKnobs>;
  /** Receives segv, warning and check reports. */
  onDiagnostic?: (d: Diagnostic) => void;
}

/** A problem found while replaying: a segv, a semantic warning, or a failed invariant. */
export interface Diagnostic {
  /** `segv`: an access the process could not make; `warning`: a call the kernel would refuse or
   * a pid that is not alive; `check`: a broken invariant (`check` mode). */
  kind: "segv" | "warning" | "check";
  /** Source line of the event (its event number when the line is unknown). */
  line: number;
  /** What happened, naming the address, object or device. */
  message: string;
}
