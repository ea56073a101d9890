/**
 * The registry and each strategy's description: a strategy's name is its key, and its origin
 * and idea (what `vmreplay strategies` prints) are the ones the documentation shows.
 */
import { deepStrictEqual, ok } from "node:assert/strict";
import { DEFAULT_STRATEGY, STRATEGIES, strategyInfo, strategyNames } from "./registry.ts";

const DOC = Deno.readTextFileSync(new URL("../../docs/strategies.md", import.meta.url));

Deno.test("registry: every strategy is registered under its own name, in the documented order", () => {
  deepStrictEqual(strategyNames(), [
    "scan",
    "pte_chain",
    "anon_inode",
    "objtree",
    "anonmm",
    "anon_vma",
    "anon_vma_chain",
  ]);
  for (const [key, info] of Object.entries(STRATEGIES)) deepStrictEqual(info.name, key);
  deepStrictEqual(DEFAULT_STRATEGY, "anon_vma_chain");
});

Deno.test("registry: docs/strategies.md shows each strategy's origin and idea as it is", () => {
  for (const name of strategyNames()) {
    const { origin, idea } = strategyInfo(name);
    ok(origin.length > 5 && idea.length > 40, name);
    const row = DOC.split("\n").find((l) => l.startsWith(`| \`${name}\` `));
    ok(row !== undefined, `docs/strategies.md has no row for ${name}`);
    const cells = row.split("|").map((c) => c.trim());
    deepStrictEqual([cells[2], cells[3]], [origin, idea], name);
  }
});
