/**
 * `find_mergeable_anon_vma()` for the anon_vma strategies: a neighbour of an area that could
 * merge with it lends its anon_vma to the area's first anonymous page.
 *
 * @module
 */
import type { Vma } from "../mm/vma.ts";

/** `anon_vma_compatible(a, b)`: `b` directly follows `a` as one area would. */
function compatible(a: Vma, b: Vma): boolean {
  return a.end === b.start && a.obj === b.obj && a.flags === b.flags &&
    b.pgoff === a.pgoff + (a.end - a.start);
}

/**
 * `find_mergeable_anon_vma(vma)`: what `lend` gives for the next area when it is compatible with
 * `vma`, else for the previous one when that is; null when neither is, or `lend` gives null.
 */
export function findMergeable<T>(vma: Vma, lend: (neighbour: Vma) => T | null): T | null {
  const vmas = vma.mm.vmas;
  const k = vmas.indexOf(vma);
  const prev = k > 0 ? vmas[k - 1] : undefined;
  const next = k >= 0 ? vmas[k + 1] : undefined;
  let found: T | null = null;
  if (next !== undefined && compatible(vma, next)) found = lend(next);
  if (found === null && prev !== undefined && compatible(prev, vma)) found = lend(prev);
  return found;
}
