import { deepStrictEqual } from "node:assert/strict";
import {
  ADVICES,
  FLAGS_MASK,
  FLAGS_SHIFT,
  HAS_OFFSET,
  HAS_PRIO,
  Madv,
  MapFlag,
  Op,
  OPS,
} from "./event.ts";

Deno.test("every op's code is its index in OPS, every advice's in ADVICES", () => {
  deepStrictEqual(OPS.map((name) => Op[name]), OPS.map((_, i) => i));
  deepStrictEqual(ADVICES.map((name) => Madv[name]), ADVICES.map((_, i) => i));
});

Deno.test("the packed fields of the small column do not overlap", () => {
  const flags = Object.values(MapFlag).reduce((a, b) => a | b, 0);
  deepStrictEqual(flags & ~FLAGS_MASK, 0);
  const used = [7, FLAGS_MASK << FLAGS_SHIFT, HAS_OFFSET, HAS_PRIO];
  for (let i = 0; i < used.length; i++) {
    for (let j = i + 1; j < used.length; j++) deepStrictEqual(used[i]! & used[j]!, 0);
  }
});
