/**
 * Test helper: drives a `Machine` directly (in-process, `check` on) with traces built by
 * `TraceBuilder`, keeping one global event sequence so that stages can be applied one after the
 * other and counters compared between them.
 *
 * @module
 */
import { COUNTER_NAMES, type CounterName } from "../core/counters.ts";
import { Machine } from "../core/machine.ts";
import type { TraceBuilder } from "../trace/builder.ts";
import type { VmKnobs } from "../uapi/knobs.ts";

/** A machine under test. */
export class TestMachine {
  readonly machine: Machine;
  #seq = 0;
  readonly checkMessages: string[] = [];

  /**
   * A machine running `strategy` with `memPages` frames and `swapPages` of default swap, and kernel
   * settings `vm` (`memcg`, `page_cluster`, ...: docs/machine.md).
   */
  constructor(strategy: string, memPages = 256, swapPages = 1024, vm: Partial<VmKnobs> = {}) {
    this.machine = new Machine({
      memPages,
      swapPages,
      strategy,
      vm,
      check: true,
      onDiagnostic: (d) => {
        if (d.kind === "check") this.checkMessages.push(`line ${d.line}: ${d.message}`);
      },
    });
  }

  /** Applies every event of `t`; throws on the first invariant the machine reports broken. */
  run(t: TraceBuilder): this {
    const b = t.batch();
    for (let i = 0; i < b.length; i++) this.machine.apply(b, i, ++this.#seq);
    if (this.checkMessages.length > 0) throw new Error(this.checkMessages.join("\n"));
    return this;
  }

  /** Counters by name (SPEC names), right now. */
  get c(): Record<CounterName, number> {
    const out = {} as Record<CounterName, number>;
    COUNTER_NAMES.forEach((n, i) => out[n] = this.machine.counters[i]!);
    return out;
  }

  /** The strategy's extra counters, right now. */
  get x(): Record<string, number> {
    return this.machine.extraCounters();
  }

  /**
   * What the machine still holds that it should have given back once every process has exited:
   * strategy objects (`*_count`, `objtree_spaces`, `pte_chain_entries` not 0), then metadata bytes,
   * resident pages and swap slots in use. Empty, and `[0, 0, 0]`, when nothing is left.
   */
  leftOver(): [[string, number][], [number, number, number]] {
    const objects = Object.entries(this.x).filter(([k, v]) =>
      (k.endsWith("_count") || k === "objtree_spaces" || k === "pte_chain_entries") && v !== 0
    );
    const m = this.machine;
    return [objects, [m.metaBytes(), m.residentPages(), m.swapUsedPages()]];
  }

  /** How much counter `name` grows while `t` is applied. */
  delta(name: CounterName, t: TraceBuilder): number {
    const before = this.c[name];
    this.run(t);
    return this.c[name] - before;
  }
}
