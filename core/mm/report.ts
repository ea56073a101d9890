/**
 * Reports of the problems a replay meets (segv, warning), counted and sent to the configuration's
 * `onDiagnostic` with the line of the event being applied and its pid, plus the helpers that
 * write addresses, ops and protections in messages.
 *
 * @module
 */
import { C } from "../counters.ts";
import type { Diagnostic } from "../config.ts";
import type { Vma } from "./vma.ts";
import { Op } from "../../uapi/event.ts";

/** Why an access faults with a segv ({@linkcode Reporter.segvAccess}): no area. */
export const SEGV_UNMAPPED = 0;
/** Not allowed by the area's protection. */
export const SEGV_PROT = 1;
/** Past the end of the area's object (SIGBUS). */
export const SEGV_BUS = 2;

/** Counts and reports the problems of the event being applied. */
export class Reporter {
  /** Line of the event being applied. */
  line = 0;
  /** Pid of the event being applied (0: a system event), which its reports name. */
  pid = 0;
  /**
   * Segv diagnostics still to report (`segvReports` of the configuration, when given: a caller
   * that keeps only the first few diagnostics saves building the others' messages); every segv
   * is counted all the same.
   */
  segvLeft: number;
  readonly #counters: Float64Array;
  readonly #onDiagnostic: ((d: Diagnostic) => void) | undefined;

  /** Reports to `onDiagnostic`, counting in `counters`; at most `segvReports` segvs reported. */
  constructor(
    counters: Float64Array,
    onDiagnostic: ((d: Diagnostic) => void) | undefined,
    segvReports: number | undefined,
  ) {
    if (segvReports !== undefined && !(segvReports >= 0)) {
      throw new RangeError(`Machine segvReports: expected a number >= 0, found ${segvReports}`);
    }
    this.#counters = counters;
    this.#onDiagnostic = onDiagnostic;
    this.segvLeft = segvReports ?? Infinity;
  }

  /** A call the kernel would refuse, or a pid that is not alive (`warnings`). */
  warn(message: string): void {
    this.#counters[C.warnings]!++;
    this.#onDiagnostic?.({ kind: "warning", line: this.line, message: this.#who() + message });
  }

  /** A check of the invariants failed (not counted here: the machine counts `check_errors`). */
  check(message: string): void {
    this.#onDiagnostic?.({ kind: "check", line: this.line, message });
  }

  /** `pid N: ` for a report about a process's event; nothing for a system event (pid `-`). */
  #who(): string {
    return this.pid > 0 ? `pid ${this.pid}: ` : "";
  }

  /**
   * Counts the segv of access `op` at `vpage` and reports it when wanted (see
   * {@linkcode Reporter.segvLeft}): `why` {@linkcode SEGV_UNMAPPED}, {@linkcode SEGV_PROT} (not
   * allowed by `vma`'s protection) or {@linkcode SEGV_BUS} (past the end of `vma`'s object). The
   * message is built only when reported: a trace can hold many segvs, and a run keeps a few.
   */
  segvAccess(op: number, vpage: number, why: number, vma: Vma | null): void {
    this.#counters[C.segv]!++;
    const report = this.#onDiagnostic;
    if (report === undefined || this.segvLeft <= 0) return;
    this.segvLeft--;
    const what = `${this.#who()}${opName(op)} ${hex(vpage)}`;
    const message = why === SEGV_UNMAPPED || vma === null
      ? `${what}: no mapping`
      : why === SEGV_PROT
      ? `${what}: not permitted by ${protName(vma.prot)}`
      : `${what}: past the end of ${vma.obj?.name} (SIGBUS)`;
    report({ kind: "segv", line: this.line, message });
  }

  /** No frame left after reclaim for `what`: a warning. */
  oom(what: string): void {
    this.warn(`${what}: out of memory (no frame left after reclaim)`);
  }
}

/** A virtual page as an address, for messages. */
export function hex(vpage: number): string {
  // Exact in doubles below 2^41 pages (addresses below 2^53); BigInt only above.
  if (vpage >= 0 && vpage < 2 ** 41) return "0x" + (vpage * 4096).toString(16);
  return "0x" + (BigInt(vpage) * 4096n).toString(16);
}

/** `r`, `w` or `x`, for messages. */
export function opName(op: number): string {
  return op === Op.w ? "w" : op === Op.x ? "x" : "r";
}

/** A protection as in the trace (`rw-`), for messages. */
export function protName(prot: number): string {
  return (prot & 1 ? "r" : "-") + (prot & 2 ? "w" : "-") + (prot & 4 ? "x" : "-");
}
