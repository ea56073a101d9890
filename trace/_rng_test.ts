import assert from "node:assert/strict";
import { KeyedPermutation, keyFor } from "./_rng.ts";

Deno.test("KeyedPermutation is a permutation of [0, n) for every n", () => {
  for (const n of [1, 2, 3, 4, 5, 17, 64, 100, 1000, 4097]) {
    const p = new KeyedPermutation(n, keyFor(1, n));
    const seen = new Uint8Array(n);
    for (let j = 0; j < n; j++) seen[p.at(j)]!++;
    assert.ok(seen.every((c) => c === 1), `n=${n}`);
  }
});

Deno.test("KeyedPermutation depends on its key only, and keys differ per process", () => {
  const of = (key: number) =>
    Array.from({ length: 64 }, (_, j) => new KeyedPermutation(64, key).at(j));
  assert.deepEqual(of(keyFor(7, 3)), of(keyFor(7, 3)));
  assert.notDeepEqual(of(keyFor(7, 3)), of(keyFor(7, 4)));
  assert.notDeepEqual(of(keyFor(7, 3)), of(keyFor(8, 3)));
  // Not the identity, nor a rotation: the first 8 of 64 are scattered.
  const first = of(keyFor(1, 0)).slice(0, 8);
  assert.ok(new Set(first.map((v) => v >> 3)).size >= 4, String(first));
});

Deno.test("KeyedPermutation handles 2^32 and refuses more", () => {
  const p = new KeyedPermutation(2 ** 32, 5);
  const v = p.at(2 ** 32 - 1);
  assert.ok(Number.isInteger(v) && v >= 0 && v < 2 ** 32);
  assert.throws(() => new KeyedPermutation(2 ** 32 + 1, 5), RangeError);
  assert.throws(() => new KeyedPermutation(0, 5), RangeError);
});
