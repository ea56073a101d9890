/**
 * Does the kernel we run on map the shared zero page on a read fault of untouched private
 * anonymous memory? The same test as the calibration probes' `kernel_has_zero_page()`
 * (`probes/probe.h`), from Deno: read fresh anonymous pages, write them, and count the write's
 * faults in this thread's `minflt`. A kernel with the zero page faults again on the write (the
 * read mapped the zero page); one without it (booted with a hypervisor's `pvm_no_zero_page`, or
 * s390) allocated a page on the read, and the write does not fault.
 *
 * @module
 */

/** Pages the test touches: fresh WebAssembly memory, mapped anonymous and never touched. */
const PAGES = 64;

/**
 * `true` when the running kernel has the zero page, `false` when it has none, `null` when it
 * cannot tell (no `/proc/thread-self/stat`: not Linux, or no fresh memory in 10 attempts). Other
 * work of this thread (a garbage collection) can only add faults, so three attempts that read
 * fresh memory are made and the fewest faults of the writes decide.
 *
 * @example
 * ```ts
 * import { kernelHasZeroPage } from "./zero_page.ts";
 * const z = kernelHasZeroPage();
 * if (z !== null && typeof z !== "boolean") throw new Error("zero page");
 * ```
 */
export function kernelHasZeroPage(): boolean | null {
  let fewest = Infinity;
  let counted = 0;
  for (let attempt = 0; attempt < 10 && counted < 3; attempt++) {
    const w = writeFaultsAfterReads();
    if (w !== null) fewest = Math.min(fewest, w), counted++;
  }
  return fewest === Infinity ? null : fewest >= PAGES / 2;
}

/**
 * Reads, then writes, {@linkcode PAGES} fresh anonymous pages; the faults of the writes, or
 * `null` when the reads did not fault (the memory was not fresh) or faults cannot be counted.
 */
function writeFaultsAfterReads(): number | null {
  const mem = new WebAssembly.Memory({ initial: (PAGES * 4096) / 65536 });
  const bytes = new Uint8Array(mem.buffer);
  let sum = 0;
  const before = threadMinorFaults();
  if (before === null) return null;
  for (let p = 0; p < PAGES; p++) sum += bytes[p * 4096]!;
  const read = threadMinorFaults()!;
  for (let p = 0; p < PAGES; p++) bytes[p * 4096] = 1 + (sum & 1);
  const written = threadMinorFaults()!;
  // Reading /proc costs a fault or two of its own; a zero page costs one per page written.
  if (read - before < PAGES / 2) return null;
  return written - read;
}

/** This thread's minor faults so far (`/proc/thread-self/stat`, field 10). */
function threadMinorFaults(): number | null {
  let text: string;
  try {
    text = Deno.readTextFileSync("/proc/thread-self/stat");
  } catch {
    return null;
  }
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const n = Number(fields[7]);
  return Number.isFinite(n) ? n : null;
}
