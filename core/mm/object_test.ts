/**
 * {@linkcode Mappings} against a plain array: random links and unlinks of up to 40 areas, so that
 * the list grows past the length at which it keeps a `Set` of its areas and shrinks back, keeping
 * the same areas in the same order and answering `has` alike.
 *
 * @module
 */
import { deepStrictEqual } from "node:assert/strict";
import { Mappings } from "./object.ts";
import { Rng } from "../../trace/_rng.ts";

Deno.test("Mappings: random links and unlinks, short and long, as a plain array", () => {
  const rng = new Rng(11);
  const m = new Mappings<number>(), model: number[] = [];
  for (let step = 0; step < 20_000; step++) {
    // Phases of mostly links, then mostly unlinks: the list's length swings between 0 and 40.
    const linking = Math.floor(step / 500) % 2 === 0;
    const v = rng.int(40);
    if (rng.next() < (linking ? 0.8 : 0.2)) {
      m.add(v);
      if (!model.includes(v)) model.push(v);
    } else {
      const i = model.indexOf(v);
      if (i >= 0) model.splice(i, 1);
      deepStrictEqual(m.delete(v), i >= 0, `delete ${v} at step ${step}`);
    }
    deepStrictEqual([m.has(v), m.list], [model.includes(v), model], `step ${step}`);
  }
  deepStrictEqual([m.size, [...m]], [model.length, model]);
});
