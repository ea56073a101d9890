/**
 * Generating a workload's trace in one call: look the workload up, resolve its parameters,
 * generate.
 *
 * @module
 */
import { WORKLOADS } from "./registry.ts";
import { type GeneratedTrace, ParamError, resolveParams } from "./workload.ts";

/**
 * Generates the trace of workload `name` with `params` (text as on the command line, or numbers);
 * parameters not given take their defaults. Throws {@linkcode ParamError} for an unknown workload
 * or a bad parameter.
 *
 * @example
 * ```ts
 * import { generateWorkload } from "./generate.ts";
 * const { header, events } = generateWorkload("aim7", { children: 2, pages: 4 });
 * const n = [...events].length;
 * if (!header.mem || n < 10) throw new Error("expected a header and events");
 * ```
 */
export function generateWorkload(
  name: string,
  params: Readonly<Record<string, string | number>> = {},
): GeneratedTrace & { params: Record<string, number> } {
  const workload = WORKLOADS[name];
  if (!workload) {
    throw new ParamError(
      `Unknown workload '${name}'; expected one of ${Object.keys(WORKLOADS).join(", ")}`,
    );
  }
  const resolved = resolveParams(workload, params);
  return { ...workload.generate(resolved), params: resolved };
}
