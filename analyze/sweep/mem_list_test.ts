import { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import { parseMemList, resolveMemList } from "./mem_list.ts";

const M = 2 ** 20;

Deno.test("parseMemList() reads lists, geometric ranges and percentages", () => {
  assertEquals(resolveMemList(parseMemList("1M,2M, 4M")), [M, 2 * M, 4 * M]);
  assertEquals(
    resolveMemList(parseMemList("1M..64M:7")),
    [1, 2, 4, 8, 16, 32, 64].map((m) => m * M),
  );
  // Range points fall on whole pages.
  assertEquals(resolveMemList(parseMemList("1M..2M:3")), [M, 1482752, 2 * M]);
  assertEquals(resolveMemList(parseMemList("10%..100%:2"), 40 * M), [4 * M, 40 * M]);
  assertEquals(resolveMemList(parseMemList("50%,1M,20M"), 40 * M), [M, 20 * M]);
});

Deno.test("parseMemList() and resolveMemList() name what is wrong", () => {
  throws(() => parseMemList("1M,,2M"), /an empty item/);
  throws(() => parseMemList("1Q"), /expected a size like 512K or 4M, .* found '1Q'/);
  throws(() => parseMemList("1M..2M:1"), /expected 2 to 1000 points/);
  throws(() => parseMemList("0%"), /above 0%/);
  throws(() => parseMemList("1M..2M"), /expected a range as A\.\.B:N/);
  throws(
    () => resolveMemList(parseMemList("32K")),
    /32768 bytes is under the smallest memory, 64K/,
  );
  throws(() => resolveMemList(parseMemList("1%"), M), /\(1\.00% of 1048576 bytes\) is under/);
});

Deno.test("resolveMemList() refuses a size over 4T, the largest machine", () => {
  throws(() => resolveMemList(parseMemList("1M,8T")), /over the largest memory, 4T/);
  assertEquals(resolveMemList(parseMemList("4T")), [2 ** 42]);
});
