/**
 * Random workloads (several seeds, a few thousand events each, under swap pressure) replayed with
 * `--verify` and `--check` through every registered strategy, with zone watermarks and in a memory
 * cgroup (`memcg`: reclaim at the limit, swap writes that complete later, dirty file pages left to
 * the flusher): every load must read exactly what the reference model predicts and every
 * invariant must hold.
 */
import { deepStrictEqual, ok } from "node:assert/strict";
import { replayStrategy } from "../analyze/replay_strategy.ts";
import { STRATEGIES } from "../core/rmap/registry.ts";
import { EventBatch } from "../trace/batch.ts";
import type { Event } from "../trace/event.ts";
import { randomWorkload } from "../trace/gen/random.ts";

/** The events in batches of 1024, numbered (line = event number) so failures name the event. */
function* batches(events: Iterable<Event>): Generator<EventBatch> {
  let b = new EventBatch(1024);
  let n = 0;
  for (const e of events) {
    b.push({ ...e, line: ++n });
    if (b.full) {
      yield b;
      b = new EventBatch(1024);
    }
  }
  if (b.length > 0) yield b;
}

const SEEDS = [1, 2, 3, 4];
const MEM_PAGES = 64;
const EVENTS = 3000;

for (const memcg of [false, true]) {
  for (const strategy of Object.keys(STRATEGIES)) {
    const setting = memcg ? " in a memory cgroup" : "";
    Deno.test(`random workloads: ${strategy} reads what the reference model expects${setting}`, async () => {
      let swapped = 0;
      for (const seed of SEEDS) {
        const t = randomWorkload({ seed, events: EVENTS, memPages: MEM_PAGES });
        const r = await replayStrategy(batches(t.events), {
          strategy,
          memPages: MEM_PAGES,
          swapPages: 0,
          verify: true,
          check: true,
          vm: { memcg },
        });
        const where = `seed ${seed}, event ${r.verify?.first_line}: ${r.verify?.first_message}`;
        deepStrictEqual(r.counters.verify_errors, 0, where);
        deepStrictEqual(
          r.counters.check_errors,
          0,
          `seed ${seed}, event ${r.check?.first_line}: ${r.check?.first_message}`,
        );
        deepStrictEqual(r.counters.events, EVENTS);
        swapped += r.counters.swap_out_pages;
      }
      ok(swapped > 0, "the random workloads should replay under swap pressure");
    });
  }
}
