/**
 * Kernel settings a replay can change, the way a sysctl or a boot option changes a real kernel:
 * their names (used as trace-header keys, `run --vm NAME=VALUE` and the `machine` record of a
 * run), what each means, its range and its default (the value of a stock Linux 6.x kernel).
 *
 * @module
 */

/** The settings, by name. */
export interface VmKnobs {
  /**
   * Whether a read fault on untouched private anonymous memory maps the shared zero page (Linux:
   * yes). Some kernels are built or booted without it (a hypervisor's `pvm_no_zero_page`, s390's
   * `mm_forbids_zeropage`): a read fault then allocates a zeroed page, and a later write does not
   * fault.
   */
  zero_page: boolean;
}

/** One setting: its name, meaning, kind and default. */
export interface KnobInfo {
  /** Name, as a header key and in `--vm NAME=VALUE`. */
  name: keyof VmKnobs;
  /** What it changes, one sentence. */
  doc: string;
  /** `bool`: 0/1 (also false/true, off/on); `int`: a whole number in `min..max`. */
  kind: "bool" | "int";
  /** Smallest value of an `int` setting. */
  min?: number;
  /** Largest value of an `int` setting. */
  max?: number;
}

/** Every setting, in the order they are listed. */
export const KNOBS: readonly KnobInfo[] = [
  {
    name: "zero_page",
    doc: "a read fault on untouched private anonymous memory maps the shared zero page",
    kind: "bool",
  },
];

/** The stock Linux 6.x values. */
export const DEFAULT_KNOBS: Readonly<VmKnobs> = Object.freeze({ zero_page: true });

/** Whether `name` is a setting's name. */
export function isKnob(name: string): name is keyof VmKnobs {
  return KNOBS.some((k) => k.name === name);
}

/**
 * Parses the text value of setting `name`: the value, or an error message saying what was
 * expected.
 *
 * @example
 * ```ts
 * import { parseKnob } from "./knobs.ts";
 * const r = parseKnob("zero_page", "0");
 * if (!("value" in r) || r.value !== false) throw new Error("zero_page=0");
 * if (!("error" in parseKnob("zero_page", "maybe"))) throw new Error("accepted maybe");
 * ```
 */
export function parseKnob(
  name: keyof VmKnobs,
  text: string,
): { value: VmKnobs[keyof VmKnobs] } | { error: string } {
  const info = KNOBS.find((k) => k.name === name)!;
  if (info.kind === "bool") {
    const t = text.toLowerCase();
    if (t === "1" || t === "true" || t === "on" || t === "yes") return { value: true };
    if (t === "0" || t === "false" || t === "off" || t === "no") return { value: false };
    return { error: `Expected 0 or 1 for ${name}, found '${text}'` };
  }
  const n = /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < (info.min ?? 0) || n > (info.max ?? Infinity)) {
    return {
      error: `Expected a whole number in ${
        info.min ?? 0
      }..${info.max} for ${name}, found '${text}'`,
    };
  }
  return { value: n as never };
}

/**
 * Parses `NAME=VALUE` assignments (`run --vm`): the settings they give. Throws a `RangeError` that
 * names an unknown setting (listing the known ones) or a value out of range.
 *
 * @example
 * ```ts
 * import { parseKnobAssignments } from "./knobs.ts";
 * if (parseKnobAssignments(["zero_page=off"]).zero_page !== false) throw new Error("off");
 * ```
 */
export function parseKnobAssignments(items: readonly string[]): Partial<VmKnobs> {
  const out: Partial<VmKnobs> = {};
  for (const item of items) {
    const eq = item.indexOf("=");
    const name = eq > 0 ? item.slice(0, eq) : item;
    if (!isKnob(name)) {
      throw new RangeError(
        `Unknown setting '${name}' in '${item}'; known: ${KNOBS.map((k) => k.name).join(", ")}`,
      );
    }
    if (eq < 0) throw new RangeError(`Expected NAME=VALUE, found '${item}'`);
    const r = parseKnob(name, item.slice(eq + 1));
    if ("error" in r) throw new RangeError(r.error);
    (out as Record<string, unknown>)[name] = r.value;
  }
  return out;
}

/** `knobs` completed with the defaults. */
export function withDefaults(knobs: Partial<VmKnobs> | undefined): VmKnobs {
  return { ...DEFAULT_KNOBS, ...knobs };
}
