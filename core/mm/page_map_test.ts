/**
 * {@linkcode PageMap} against a `Map` and a sort: random sets, deletes and lookups near and far
 * (indexes past the chunk array, up to 2^41), then its iteration: index order, and live (an entry
 * deleted ahead of the walk is skipped, one added ahead is visited, one added behind is not; the
 * callback may delete its own entry or empty its chunk).
 *
 * @module
 */
import { deepStrictEqual, throws } from "node:assert/strict";
import { PAGE_MAP_CHUNK, PageMap } from "./page_map.ts";
import { Rng } from "../../trace/_rng.ts";

/** A PageMap's entries as sorted pairs, from a Map. */
function sorted(m: Map<number, number>): [number, number][] {
  return [...m].sort((a, b) => a[0] - b[0]);
}

Deno.test("PageMap: random sets, deletes and lookups agree with a Map, iteration in index order", () => {
  const rng = new Rng(7);
  const p = new PageMap(), m = new Map<number, number>();
  // Indexes in three places: a few chunks, past the array of chunks (2^25), far (2^41).
  const pick = () => {
    const r = rng.next();
    const base = r < 0.6 ? 0 : r < 0.8 ? 2 ** 25 - 600 : 2 ** 41 - 3000;
    return base + rng.int(2000);
  };
  for (let step = 0; step < 50_000; step++) {
    const idx = pick(), op = rng.int(3);
    if (op === 0) {
      const v = rng.int(2 ** 31);
      p.set(idx, v);
      m.set(idx, v);
    } else if (op === 1) deepStrictEqual(p.delete(idx), m.delete(idx), `delete ${idx}`);
    else deepStrictEqual([p.get(idx), p.has(idx)], [m.get(idx), m.has(idx)], `get ${idx}`);
    deepStrictEqual(p.size, m.size);
  }
  deepStrictEqual([...p], sorted(m));
  deepStrictEqual([...p.keys()], sorted(m).map((e) => e[0]));
  deepStrictEqual([...p.values()], sorted(m).map((e) => e[1]));
  p.clear();
  deepStrictEqual([p.size, [...p], p.get(3)], [0, [], undefined]);
  throws(() => p.set(-1, 0), RangeError);
  throws(() => p.set(NaN, 0), RangeError);
});

Deno.test("PageMap: forEach is live, and a callback may delete its entry", () => {
  const p = new PageMap();
  for (const i of [0, 5, 31, 32, 100, 511, 512, 2000, 2 ** 30, 2 ** 40]) p.set(i, i % 1000);
  const seen: number[] = [];
  p.forEach((_v, i) => {
    seen.push(i);
    if (i === 5) {
      p.delete(31); // ahead, same word: skipped
      p.delete(2000); // ahead, another chunk: skipped
      p.set(0 + 1, 9); // behind: not visited
      p.set(33, 9); // ahead, next word: visited
      p.set(3000, 9); // ahead, a new chunk: visited
    }
    if (i === 2 ** 30) p.set(2 ** 30 + 1, 9); // ahead, far: visited
    p.delete(i); // its own entry
  });
  deepStrictEqual(seen, [0, 5, 32, 33, 100, 511, 512, 3000, 2 ** 30, 2 ** 30 + 1, 2 ** 40]);
  deepStrictEqual([...p.keys()], [1]);
});

Deno.test("PageMap: a chunk emptied and refilled during a walk is walked on, not left stale", () => {
  const p = new PageMap();
  p.set(10, 1).set(20, 2);
  const seen: number[] = [];
  p.forEach((_v, i) => {
    seen.push(i);
    if (i === 10) {
      p.delete(10);
      p.delete(20); // the chunk is empty: given back
      p.set(PAGE_MAP_CHUNK + 1, 3); // another chunk may take it
      p.set(30, 4); // this chunk made again
    }
  });
  deepStrictEqual(seen, [10, 30, PAGE_MAP_CHUNK + 1]);
  deepStrictEqual([...p], [[30, 4], [PAGE_MAP_CHUNK + 1, 3]]);
});
