import { deepStrictEqual, equal } from "node:assert/strict";
import { AreaMap } from "./area_map.ts";

const area = (start: number, end: number, prot = 3) => ({ start, end, prot, flags: 5, pgoff: 0 });

Deno.test("AreaMap.map() replaces what it overlaps and keeps areas sorted", () => {
  const m = new AreaMap();
  m.map(area(10, 20));
  m.map(area(30, 40));
  m.map(area(15, 35, 1));
  deepStrictEqual(m.areas.map((a) => [a.start, a.end, a.prot]), [[10, 15, 3], [15, 35, 1], [
    35,
    40,
    3,
  ]]);
});

Deno.test("AreaMap.unmap() splits and returns the removed pieces", () => {
  const m = new AreaMap();
  m.map({ ...area(10, 20), object: "file:/x", pgoff: 100 });
  const gone = m.unmap(12, 14);
  deepStrictEqual(gone.map((a) => [a.start, a.end, a.pgoff]), [[12, 14, 102]]);
  deepStrictEqual(m.areas.map((a) => [a.start, a.end, a.pgoff]), [[10, 12, 100], [14, 20, 104]]);
  deepStrictEqual(m.covered(0, 100), [{ start: 10, end: 12 }, { start: 14, end: 20 }]);
});

Deno.test("AreaMap.protect() reports ranges that had no access", () => {
  const m = new AreaMap();
  m.map(area(0, 10, 0));
  deepStrictEqual(m.protect(2, 4, 3), [{ start: 2, end: 4 }]);
  deepStrictEqual(m.protect(0, 10, 1), [{ start: 0, end: 2 }, { start: 4, end: 10 }]);
  equal(m.size(), 3);
});

Deno.test("AreaMap.remap() moves, grows and shrinks; refuses unmapped ranges", () => {
  const m = new AreaMap();
  m.map(area(10, 20));
  equal(m.remap(10, 10, 100, 15), true);
  deepStrictEqual(m.covered(0, 1000), [{ start: 100, end: 115 }]);
  equal(m.remap(100, 15, 100, 5), true);
  deepStrictEqual(m.covered(0, 1000), [{ start: 100, end: 105 }]);
  equal(m.remap(0, 5, 50, 5), false);
  const c = m.clone();
  c.unmap(0, 1000);
  equal(m.size(), 1);
});
