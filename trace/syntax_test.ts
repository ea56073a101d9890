import { deepStrictEqual } from "node:assert/strict";
import { parseNumber } from "./syntax.ts";
import { Rng } from "./_rng.ts";

Deno.test("parseNumber() agrees with a bigint reference on random decimal and hex strings", () => {
  const ref = (t: string) => {
    const m = /^(0[xX][0-9a-fA-F]+|[0-9]+)([kKmMgG]?)$/.exec(t);
    if (!m) return undefined;
    const mul = { "": 1n, k: 1024n, m: 1048576n, g: 1073741824n }[m[2]!.toLowerCase()]!;
    const v = BigInt(m[1]!) * mul;
    return v < 2n ** 53n ? Number(v) : v;
  };
  const rng = new Rng(7);
  const rand = (n: number) => rng.int(n);
  const chars = "0123456789abcdefABCDEFxXkKgMz -";
  const cases = ["", "0", "0x", "0X1f", "00", "0x0", "9007199254740991", "9007199254740992"];
  cases.push("0xfffffffffffff", "0x1fffffffffffff", "0x20000000000000", "999999999999999");
  for (let i = 0; i < 20000; i++) {
    let t = rand(3) === 0 ? "0x" : "";
    for (let k = rand(18); k > 0; k--) t += chars[rand(i % 2 === 0 ? 10 : chars.length)];
    cases.push(t);
  }
  for (const t of cases) deepStrictEqual(parseNumber(t), ref(t), t);
});
