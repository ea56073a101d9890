/**
 * Writes docs/strategies.md: every table in it is produced here, by generating each strategy's
 * pathology workload (`trace/gen/`) and replaying it in-process through every strategy with
 * `--verify`. Run with `deno task docs:strategies` (about a minute); never edit the numbers by hand.
 *
 * @module
 */
import { replayStrategy } from "../analyze/replay_strategy.ts";
import type { StrategyResult } from "../analyze/result.ts";
import { Machine } from "../core/machine.ts";
import { STRATEGIES, strategyNames } from "../core/rmap/registry.ts";
import { SIZES } from "../core/rmap/sizes.ts";
import { EventBatch } from "../trace/batch.ts";
import { Op } from "../trace/event.ts";
import { generateWorkload } from "../trace/gen/generate.ts";
import { writeFileAtomic } from "../cli/_output.ts";

const ALL = strategyNames();
const OUT = new URL("../docs/strategies.md", import.meta.url).pathname;

interface Loaded {
  batch: EventBatch;
  memPages: number;
  swapPages: number;
  command: string;
}

function load(name: string, params: Record<string, number>): Loaded {
  const g = generateWorkload(name, params);
  const events = [...g.events];
  const batch = new EventBatch(events.length + 1);
  for (const e of events) batch.push(e);
  const args = Object.entries(params).map(([k, v]) => `--${k}=${v}`).join(" ");
  return {
    batch,
    memPages: g.header.mem! / 4096,
    swapPages: g.header.swap! / 4096,
    command: `vmreplay gen ${name}${args ? " " + args : ""} -o ${name}.vmt`,
  };
}

async function replay(
  w: Loaded,
  strategies = ALL,
  allowSegv = false,
): Promise<Record<string, StrategyResult>> {
  const out: Record<string, StrategyResult> = {};
  for (const strategy of strategies) {
    out[strategy] = await replayStrategy([w.batch], {
      strategy,
      memPages: w.memPages,
      swapPages: w.swapPages,
      verify: true,
    });
    const c = out[strategy]!.counters;
    if (c.verify_errors !== 0 || (c.segv !== 0 && !allowSegv)) {
      throw new Error(`${strategy} on ${w.command}: verify_errors ${c.verify_errors}`);
    }
  }
  return out;
}

/** The strategy's extra counters just before the first mark `label` (gauges such as counts). */
function extrasBefore(w: Loaded, strategy: string, label: string): Record<string, number> {
  const m = new Machine({ memPages: w.memPages, swapPages: w.swapPages, strategy });
  const b = w.batch;
  for (let i = 0; i < b.length; i++) {
    if (b.op[i] === Op.mark && b.strings[b.str[i]!] === label) break;
    m.apply(b, i, i + 1);
  }
  return m.extraCounters();
}

function phaseSum(r: StrategyResult, prefix: string, name: string): number {
  return r.phases.filter((p) => p.label.startsWith(prefix))
    .reduce((s, p) => s + (p.counters[name] ?? 0), 0);
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return "–";
  if (Number.isInteger(v)) return v.toLocaleString("en-US");
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

function table(head: string[], rows: (string | number)[][]): string {
  const cells = rows.map((r) => r.map((c) => typeof c === "number" ? fmt(c) : c));
  return [
    `| ${head.join(" | ")} |`,
    `| ${head.map((_, i) => i === 0 ? "---" : "---:").join(" | ")} |`,
    ...cells.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
}

function perStrategy(
  results: Record<string, StrategyResult>,
  cols: [string, (r: StrategyResult) => number][],
): string {
  return table(
    ["strategy", ...cols.map(([h]) => h)],
    ALL.map((s) => [`\`${s}\``, ...cols.map(([, f]) => f(results[s]!))]),
  );
}

const c = (name: string) => (r: StrategyResult) => r.counters[name] ?? 0;
const ratio = (a: string, b: string) => (r: StrategyResult) =>
  (r.counters[a] ?? 0) / (r.counters[b] ?? 0);

const sections: string[] = [];
const say = (s: string) => sections.push(s.trim());

// ---------------------------------------------------------------- the strategies
say(`
# The reverse-mapping strategies

vmreplay runs every trace once per strategy. The machine (faults, page tables, swap, reclaim) is
the same for all; a strategy decides how a page is tied to the page-table entries that map it, and
so what fork, COW, mremap, munmap and reclaim cost. Each module in \`core/rmap/\` states its data
structures, costs and pathology in its doc comment; this page shows the pathologies in numbers.

Every table below is written by \`tools/strategies_doc.ts\` (\`deno task docs:strategies\`): it
generates the workload with the command shown, replays it through each strategy with \`--verify\`
(every load checked against the reference model: \`verify_errors\` is 0 in every run, or the script
fails), and prints the counters. \`tests/strategies_test.ts\` asserts the same effects at small scale
with \`--check\` on as well.

${
  table(
    ["strategy", "origin", "idea"],
    ALL.map((s) => [`\`${s}\``, STRATEGIES[s]!.origin, STRATEGIES[s]!.idea]),
  )
}

## Metadata sizes

\`rmap_meta_bytes_peak\` uses one byte-size model for all strategies (\`core/rmap/sizes.ts\`, x86-64,
8-byte pointers): ${
  Object.entries({
    "anon_vma (2.6.34+)": SIZES.anonVma,
    "anon_vma_chain": SIZES.anonVmaChain,
    "anon_vma (2.6.7)": SIZES.anonVmaListOnly,
    "pte_chain block (7 PTEs)": SIZES.pteChainBlock,
    "anonmm": SIZES.anonmm,
    "inode + dentry": SIZES.inode + SIZES.dentry,
    "anon_inode array slot": SIZES.anonInodeSlot,
    "address_space": SIZES.addressSpace,
    "list link": SIZES.listLink,
  }).map(([k, v]) => `${k} ${v} B`).join(", ")
}.
`);

// ---------------------------------------------------------------- aim7
{
  const rows: (string | number)[][] = [];
  let cmd = "";
  for (const children of [4, 16, 64]) {
    const w = load("aim7", { children, pages: 64 });
    cmd = w.command;
    const r = await replay(w);
    const perPage = (s: string) => ratio("rmap_vma_visits", "pages_reclaimed")(r[s]!);
    const perFound = (s: string) =>
      r[s]!.counters.rmap_vma_visits /
      (r[s]!.counters.rmap_vma_visits - r[s]!.counters.rmap_wasted_visits);
    rows.push([
      children,
      perPage("anon_vma"),
      perFound("anon_vma"),
      perPage("anon_vma_chain"),
      perFound("anon_vma_chain"),
      perPage("anonmm"),
      perPage("objtree"),
      perPage("anon_inode"),
      perPage("pte_chain"),
    ]);
  }
  say(`
## aim7: anon_vma's walks grow with the fork family

A parent writes a 64-page private area and forks N children, which all copy-on-write every page,
then memory pressure swaps the copies out and the children read them back
(\`${cmd.replace("--children=64", "--children=N")}\`). In Linux 2.6.7's \`anon_vma\` every copy
still belongs to the family's one anon_vma, so each rmap walk visits the N + 1 areas in turn until
the one that maps it (a walk ends at the page's last mapping, as Linux's do), about half of them; \`anon_vma_chain\` files each copy under the child's own anon_vma. \`anonmm\`
walks every address space of the family, like \`anon_vma\`. Columns: \`rmap_vma_visits\` per
reclaimed page, and per PTE actually found (visits / (visits − wasted)).

${
    table([
      "children",
      "anon_vma /page",
      "anon_vma /PTE found",
      "anon_vma_chain /page",
      "anon_vma_chain /PTE found",
      "anonmm /page",
      "objtree /page",
      "anon_inode /page",
      "pte_chain /page",
    ], rows)
  }

Reclaim walks a page more than once (\`page_referenced\` on the active and inactive lists, then
\`try_to_unmap\`), so even a perfect map costs a few visits per reclaimed page; what matters is how
the number moves with N.
`);
}

// ---------------------------------------------------------------- mremap-after-fork
{
  const w = load("mremap-after-fork", {});
  const r = await replay(w);
  say(`
## mremap-after-fork: only anonmm copies

\`${w.command}\`: the parent writes 64 pages and forks; the child COWs 8; 16 still-shared pages are
paged out; the parent moves a private area of its own (never shared), then the shared one.
\`anonmm\` names an anonymous page by its virtual address in the fork family, so every page still
shared when it moves must be copied, including those on swap, which are read in first. Everyone
else moves page tables and copies nothing, as Linux does.

${
    perStrategy(r, [
      ["mremap_pages_copied", c("mremap_pages_copied")],
      ["mremap_ptes_moved", c("mremap_ptes_moved")],
      ["copied in own-area move", (x) => phaseSum(x, "own-mremap", "mremap_pages_copied")],
      ["minor_faults", c("minor_faults")],
      ["major_faults", c("major_faults")],
      ["cow_copies", c("cow_copies")],
      ["swap_in_pages", c("swap_in_pages")],
    ])
  }

The copies change later behaviour: the parent's copies are exclusive, so its writes after the move
need no COW fault, and the 50-odd extra pages change what reclaim picks afterwards.
`);
}

// ---------------------------------------------------------------- fork-server
{
  const w = load("fork-server", {});
  const r = await replay(w);
  say(`
## fork-server: pte_chain pays per PTE at every fork

\`${w.command}\`: a server with a 768-page written heap and 256 pages of program text forks 32
short-lived children, 4 alive at a time. Fork copies the heap's PTEs in every design; \`pte_chain\`
also adds a chain entry for each of them and frees it again at exit.

${
    perStrategy(r, [
      ["fork_ptes_copied", c("fork_ptes_copied")],
      ["fork_rmap_allocs", c("fork_rmap_allocs")],
      ["rmap_meta_bytes_peak", c("rmap_meta_bytes_peak")],
      ["pte_walks", c("pte_walks")],
      ["rmap_wasted_visits", c("rmap_wasted_visits")],
    ])
  }

\`pte_chain\` allocates by far the most at fork, and its chains (a 64-byte block per 7 mappings,
about 9 bytes a mapping) outweigh every object-based design's metadata but one: \`anon_inode\`,
whose per-process array costs 16 bytes for every page of the area and is copied at every fork —
Hemment's "a pointer and an unsigned long for each page is a bit fat". In exchange \`pte_chain\`
never visits a PTE that does not map the page.
`);
}

// ---------------------------------------------------------------- scan-pressure
{
  const w = load("scan-pressure", {});
  const r = await replay(w);
  const walks = (x: StrategyResult) => phaseSum(x, "pressure", "pte_walks");
  const got = (x: StrategyResult) => phaseSum(x, "pressure", "pages_reclaimed");
  say(`
## scan-pressure: scanning page tables to free a few pages

\`${w.command}\`: 8 processes each write 1024 anonymous pages and map a 256-page data file; the
16-page swap device fills during setup, so anonymous memory can hardly be swapped and only the
file's cold half is worth reclaiming. Eight rounds: every process reads all its memory and the
file's hot half, then \`- reclaim 16\`. Counted over the pressure rounds:

${
    perStrategy(r, [
      ["pte_walks", walks],
      ["pages_reclaimed", got],
      ["pte_walks per reclaimed page", (x) => walks(x) / got(x)],
      ["minor_faults", (x) => phaseSum(x, "pressure", "minor_faults")],
    ])
  }

\`scan\` (Linux 2.4's \`swap_out\`) has no way from a page to its PTEs: it walks every process's page
tables round-robin, clearing accessed bits and trying each anonymous PTE on its way to the few file
PTEs it can unmap, and a file page goes only once the walk has unmapped it in all eight processes.
Its cost grows with mapped memory, not with memory reclaimed. The reverse-mapping designs take
candidates from the LRU lists and visit only their PTEs.
`);
}

// ---------------------------------------------------------------- fork-chain
{
  const rows: (string | number)[][] = [];
  let cmd = "";
  for (const exit of [0, 1]) {
    for (const depth of [2, 4, 8, 16]) {
      const w = load("fork-chain", { depth, exit });
      cmd = w.command;
      await replay(w, ["objtree", "anon_vma_chain", "anon_vma"]);
      const o = extrasBefore(w, "objtree", "exit");
      const avc = extrasBefore(w, "anon_vma_chain", "exit");
      const av = extrasBefore(w, "anon_vma", "exit");
      rows.push([
        exit ? "exit" : "stay alive",
        depth,
        o.objtree_depth!,
        o.objtree_spaces!,
        o.objtree_collapses!,
        avc.anon_vma_count!,
        avc.anon_vma_chain_count!,
        av.anon_vma_count!,
      ]);
    }
  }
  say(`
## fork-chain: tree depth and anon_vma count

\`${cmd.replace("--depth=16", "--depth=D")}\`: generation 1 writes a 64-page area; each generation
forks the next, which COWs a quarter of the pages; then (\`--exit=1\`) the parent exits, or
(\`--exit=0\`) every generation stays alive. Counted before the final exits.

${
    table([
      "ancestors",
      "D",
      "objtree depth",
      "objtree spaces",
      "objtree collapses",
      "anon_vma_chain anon_vmas",
      "anon_vma_chain chain entries",
      "anon_vma (2.6.7) anon_vmas",
    ], rows)
  }

Lokier's tree grows one address space per generation that writes while the ancestors live, and
collapsing a space into its only child keeps it at depth 1–2 when they exit ("I would expect trees
only 2 or 3 deep for normal cases"). \`anon_vma_chain\` allocates an anon_vma per fork, and one
chain entry per ancestor, so chains grow quadratically while everyone lives; when the ancestors
exit, the 2015 reuse rule hands the dead generation's anon_vma to the next child and bounds the
count. 2.6.7's \`anon_vma\` always has one per family.
`);
}

// ---------------------------------------------------------------- tmpfs-pages
{
  const w = load("tmpfs-pages", {});
  const r = await replay(w);
  say(`
## tmpfs-pages: swapoff finds pages nobody maps

\`${w.command}\`: 4 tmpfs files of 64 pages written with write(2) and never mapped, plus 32
private anonymous pages, are all pushed to swap; then \`- swapoff swap0\`; then a process maps the
files and reads every page (checked by \`--verify\`).

${
    perStrategy(r, [
      ["swapped out", (x) => phaseSum(x, "pressure", "swap_out_pages")],
      ["read back by swapoff", (x) => phaseSum(x, "swapoff", "swap_in_pages")],
      ["major faults after", (x) => phaseSum(x, "check", "major_faults")],
      ["verify_errors", c("verify_errors")],
    ])
  }

A page on swap is found by (object, index) even when no page table names it (Hemment's tmpfs
problem, seed 004, and Biederman's swapoff race, seed 002), in every design.
`);
}

// ---------------------------------------------------------------- zygote and shared-anon
for (
  const [name, text] of [
    [
      "zygote",
      "A preloaded parent (512 written heap pages, 256 pages of a private library mapping, some " +
      "relocated) forks 8 apps that each touch a quarter of it, write a fifth of what they touch, " +
      "and grow a 64-page heap, under pressure. The many-sharers, few-COWs mix of Android.",
    ],
    [
      "shared-anon",
      "Four processes share a MAP_SHARED|MAP_ANONYMOUS area of 256 pages under pressure: every " +
      "design keeps it in an inode per mapping backed by swap (seed 002), Hemment's anon_inode " +
      "included (his shared-area inode is the same object), so they differ only in metadata.",
    ],
  ] as const
) {
  const w = load(name, {});
  const r = await replay(w);
  say(`
## ${name}

\`${w.command}\`: ${text}

${
    perStrategy(r, [
      ["minor", c("minor_faults")],
      ["major", c("major_faults")],
      ["zero_page_maps", c("zero_page_maps")],
      ["swap out", c("swap_out_pages")],
      ["pte_walks", c("pte_walks")],
      ["vma visits", c("rmap_vma_visits")],
      ["wasted", c("rmap_wasted_visits")],
      ["fork allocs", c("fork_rmap_allocs")],
      ["meta bytes peak", c("rmap_meta_bytes_peak")],
    ])
  }
`);
}

{
  const w = load("random", { events: 20000 });
  const r = await replay(w, ALL, true);
  say(`
## random: the same data, different faults

\`${w.command}\`: a seeded mix of every operation (private and shared anonymous memory, files,
tmpfs, System V segments, fork, clone, exec, exit, partial munmap and mprotect, mremap moves and
resizes, madvise, mlock, truncate, swapon/swapoff, forced reclaim; some accesses fault on purpose,
counted as \`segv\`) under swap pressure. Every strategy reads back exactly what the reference
model predicts; the faults differ only where the design says so (below).

${
    perStrategy(r, [
      ["minor", c("minor_faults")],
      ["major", c("major_faults")],
      ["zero_page_maps", c("zero_page_maps")],
      ["mremap_pages_copied", c("mremap_pages_copied")],
      ["pte_walks", c("pte_walks")],
      ["wasted", c("rmap_wasted_visits")],
      ["meta bytes peak", c("rmap_meta_bytes_peak")],
      ["segv", c("segv")],
      ["verify_errors", c("verify_errors")],
    ])
  }
`);
}

say(`
## Where faults differ, and why

Fault counts are the same for every strategy unless the design changes what a fault does:

- \`anon_inode\` never maps the zero page (a slot is a page, a swap entry or "never loaded"): a read
  of untouched private memory allocates a zeroed page at once, so read-then-write costs one fault
  instead of two and \`zero_page_maps\` is 0.
- \`anonmm\` copies pages still shared after fork when one process moves them with mremap: the
  copies are the mover's alone (no COW fault on its next write), swapped pages are read in by the
  mremap itself, and the extra pages change what reclaim picks later.
- \`scan\` ages and unmaps pages in page-table order rather than LRU order, so it reclaims different
  pages, and the processes fault back different ones.

## Not modelled

- Hemment kept swap entries in the anonymous inode's array rather than in PTEs (so page tables
  could be freed once unloaded); the machine keeps them in PTEs for every strategy.
- Lokier's tree roots a private file mapping's anonymous pages at the file's own address space;
  here the file's pages stay with the page cache and the copies start a tree of their own.
- 2.5's \`pte_chain\` also sped up \`page_referenced\` with the direct pointer; only its memory is
  modelled, and \`pte_chain_scan_steps\` counts the chain searches at unmap.
`);

const text = sections.join("\n\n") + "\n";
await writeFileAtomic(OUT, text);
console.log(`wrote ${OUT} (${text.length} bytes)`);
