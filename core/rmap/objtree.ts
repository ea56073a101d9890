/**
 * `objtree`: Jamie Lokier's address-space tree (linux-kernel, 27 April 2000, "Re: [PATCH]
 * 2.3.99-pre6-3+ VM rebalancing"): no separate
 * anonymous layer, only `address_space` objects arranged in a tree.
 *
 * ## Data structures
 * - Every private area that gets anonymous pages points to an address space (`struct
 *   address_space`, 200 bytes); the space lists its areas (a 16-byte link each) and its child
 *   spaces, and has at most one parent.
 * - fork: the child's area points to the same space as the parent's, and both are flagged so that
 *   "the first c-o-w will generate new address_spaces": a new child space whose parent is the old
 *   one; every page privately modified after that goes there.
 * - A page: `owner` = the space holding it, `index` = `vm_pgoff` + offset ("simply vm_pgoff ==
 *   index, however the mapping was mremapped"). To map a page an area looks in its own space, then
 *   in the parent, up to the root.
 * - Keeping the tree in shape: a space left with no areas and a single child is merged with that
 *   child ("if a child is the only reference to its parent, they can be merged"); a space whose
 *   areas have privately modified every page of their range is cut from its parent ("the parent
 *   address_space is no longer required by this mapping, so cut the tree there").
 * - Private file mappings: Lokier's root would be the file's own address space; here the file's
 *   pages stay with the machine's page cache (walked through `i_mmap`) and the anonymous copies
 *   start a tree of their own.
 *
 * ## Costs
 * - fork: nothing allocated (`fork_rmap_allocs` 0); the child's area joins the space's list.
 * - First COW after a fork in an area: one address space. A fresh page, a COW copy or COW reuse
 *   goes to the writer's own space; a page swapped in while several processes hold it goes to the
 *   root of the tree (the oldest space, as Linux files such pages under the root anon_vma).
 * - Look-ups walk up the parent chain: `objtree_lookup_steps` counts the parent links followed when
 *   a fault maps (or reuses) a page held by an ancestor space.
 * - mremap: nothing (the index is the offset). munmap / exit: the area leaves its space, which may
 *   then die or merge with its only child (`objtree_collapses`, `objtree_pages_moved`).
 * - Reclaim and swap-in: visit every area of the page's space and of all its descendant spaces
 *   (`objtree_walk_spaces`), since any of them may map the page unless it wrote its own copy.
 *
 * ## Pathology
 * Depth: a chain of forks whose members all stay alive and each COW a little builds one space per
 * generation (`objtree_depth_peak` grows with the chain; `gen fork-chain --exit=0`), and a page of
 * the root is looked for in the whole tree. When ancestors exit, collapsing keeps the chain short
 * ("I would expect trees only 2 or 3 deep for normal cases").
 *
 * @module
 */
import { C } from "../counters.ts";
import { PG } from "../mm/frames.ts";
import type { Vma } from "../mm/vma.ts";
import { SIZES } from "./sizes.ts";
import { StrategyBase } from "./base.ts";
import type { RmapContext, RmapVisitor, StrategyInfo } from "./strategy.ts";

/** One address space of the tree. */
class Space {
  readonly id: number;
  parent: Space | null;
  readonly children: Set<Space> = new Set();
  /** Areas using this space directly. */
  readonly vmas: Set<Vma> = new Set();
  /** Pages held, by index (a count: a root may hold two pages at one index, see below). */
  readonly idx: Map<number, number> = new Map();
  /** Frames held. */
  readonly frames: Set<number> = new Set();
  /** `idx.size` when the cut rule last looked. */
  checkedAt = 0;
  dead = false;

  constructor(id: number, parent: Space | null) {
    this.id = id;
    this.parent = parent;
  }
}

/** Per-area state: its space and the "first COW makes a new space" flag set by fork. */
interface AreaState {
  space: Space;
  pending: boolean;
}

function stateOf(vma: Vma): AreaState | null {
  return (vma.rmap as AreaState | null) ?? null;
}

class ObjTree extends StrategyBase {
  #ctx: RmapContext;
  #byId: (Space | undefined)[] = [];
  #nextId = 1;
  #live = 0;
  #depthPeak = 0;
  #collapses = 0;
  #cuts = 0;
  #pagesMoved = 0;
  #lookupSteps = 0;
  #walkSpaces = 0;
  #forkMm: unknown = null;
  #forkEvent = -1;

  constructor(ctx: RmapContext) {
    super();
    this.#ctx = ctx;
  }

  #newSpace(parent: Space | null): Space {
    const s = new Space(this.#nextId++, parent);
    this.#byId[s.id] = s;
    parent?.children.add(s);
    this.#live++;
    this.#ctx.addMeta(SIZES.addressSpace);
    return s;
  }

  #depth(s: Space): number {
    let d = 1;
    for (let p = s.parent; p !== null; p = p.parent) d++;
    return d;
  }

  #root(s: Space): Space {
    let r = s;
    while (r.parent !== null) {
      r = r.parent;
      this.#lookupSteps++;
    }
    return r;
  }

  #attach(vma: Vma, space: Space, pending: boolean): void {
    vma.rmap = { space, pending } satisfies AreaState;
    space.vmas.add(vma);
    this.#ctx.addMeta(SIZES.listLink);
    const d = this.#depth(space);
    if (d > this.#depthPeak) this.#depthPeak = d;
  }

  #detach(vma: Vma): Space | null {
    const st = stateOf(vma);
    if (st === null) return null;
    st.space.vmas.delete(vma);
    vma.rmap = null;
    this.#ctx.addMeta(-SIZES.listLink);
    return st.space;
  }

  /** The first COW of a flagged area: a new child space for it. */
  #branch(vma: Vma, st: AreaState): void {
    const old = st.space;
    if (old.vmas.size === 1 && old.children.size === 0) {
      // Its fork relatives are gone: the new space would merge straight back into this one.
      st.pending = false;
      return;
    }
    old.vmas.delete(vma);
    const c = this.#newSpace(old);
    c.vmas.add(vma);
    st.space = c;
    st.pending = false;
    const d = this.#depth(c);
    if (d > this.#depthPeak) this.#depthPeak = d;
    this.#tidy(old);
  }

  #addPage(s: Space, frame: number, index: number): void {
    s.frames.add(frame);
    s.idx.set(index, (s.idx.get(index) ?? 0) + 1);
    const f = this.#ctx.frames;
    f.owner[frame] = s.id;
    f.index[frame] = index;
  }

  #removePage(s: Space, frame: number, index: number): void {
    if (!s.frames.delete(frame)) return;
    const n = s.idx.get(index) ?? 0;
    if (n <= 1) s.idx.delete(index);
    else s.idx.set(index, n - 1);
  }

  /** A space with no areas dies when it has no children, or absorbs its only child. */
  #tidy(s: Space): void {
    if (s.dead || s.vmas.size > 0) return;
    if (s.children.size === 0) {
      s.dead = true;
      if (s.frames.size === 0) this.#byId[s.id] = undefined;
      this.#live--;
      this.#ctx.addMeta(-SIZES.addressSpace);
      const p = s.parent;
      if (p !== null) {
        p.children.delete(s);
        this.#tidy(p);
      }
      return;
    }
    if (s.children.size === 1) {
      const [c] = s.children as Iterable<Space>;
      this.#merge(s, c!);
    }
  }

  /** Merges child `c` into its parent `s` (which has no areas of its own). */
  #merge(s: Space, c: Space): void {
    this.#collapses++;
    s.children.delete(c);
    const f = this.#ctx.frames;
    for (const fr of c.frames) {
      this.#addPage(s, fr, f.index[fr]!);
      this.#pagesMoved++;
    }
    for (const vma of c.vmas) {
      s.vmas.add(vma);
      stateOf(vma)!.space = s;
    }
    for (const g of c.children) {
      g.parent = s;
      s.children.add(g);
    }
    s.checkedAt = 0;
    c.dead = true;
    this.#byId[c.id] = undefined;
    this.#live--;
    this.#ctx.addMeta(-SIZES.addressSpace);
  }

  /**
   * The cut rule: when `s` holds a page at every index its areas (and descendants') cover. `least`
   * is the size of one of those areas (a quick refusal). A check that failed is done again only
   * when `s` holds more indices, or (`checkedAt` reset) when an area under it went away.
   */
  #maybeCut(s: Space, least: number): void {
    if (s.parent === null || s.idx.size <= s.checkedAt || s.idx.size < least) return;
    s.checkedAt = s.idx.size;
    const stack = [s];
    while (stack.length > 0) {
      const t = stack.pop()!;
      for (const vma of t.vmas) {
        for (let i = vma.pgoff; i < vma.pgoff + vma.pages; i++) if (!s.idx.has(i)) return;
      }
      for (const c of t.children) stack.push(c);
    }
    const p = s.parent;
    p.children.delete(s);
    s.parent = null;
    this.#cuts++;
    this.#tidy(p);
  }

  #stateFor(vma: Vma): AreaState {
    const st = stateOf(vma);
    if (st !== null) return st;
    this.anonPrepare(vma);
    return stateOf(vma)!;
  }

  /** Parent links from `from` up to `to` (the whole depth when `to` is not an ancestor). */
  #distance(from: Space, to: Space): number {
    let n = 0;
    for (let s: Space | null = from; s !== null && s !== to; s = s.parent) n++;
    return n;
  }

  override vmaCreate(vma: Vma): void {
    vma.rmap = null;
  }

  override anonPrepare(vma: Vma): void {
    if (stateOf(vma) !== null) return;
    this.#attach(vma, this.#newSpace(null), false);
  }

  override vmaFork(parent: Vma, child: Vma): void {
    child.rmap = null;
    this.#forkMm = child.mm;
    this.#forkEvent = this.#ctx.counters[C.events]!;
    const st = stateOf(parent);
    if (st === null) return;
    st.pending = true;
    this.#attach(child, st.space, true);
  }

  override vmaSplit(orig: Vma, created: Vma): void {
    created.rmap = null;
    const st = stateOf(orig);
    if (st !== null) this.#attach(created, st.space, st.pending);
  }

  override vmaMerge(kept: Vma, removed: Vma): void {
    const r = stateOf(removed);
    if (stateOf(kept) === null && r !== null) this.#attach(kept, r.space, r.pending);
    this.vmaUnlink(removed);
  }

  override vmaMove(old: Vma, moved: Vma): void {
    moved.rmap = null;
    const st = stateOf(old);
    if (st !== null) this.#attach(moved, st.space, st.pending);
  }

  override vmaUnlink(vma: Vma): void {
    const s = this.#detach(vma);
    if (s === null) return;
    this.#tidy(s);
    // The area gone (a process's exit, a munmap, a piece of a split area) may have been all that
    // kept a space from the cut rule, its own or one below it: look again at the spaces it was
    // under, the nearest first.
    for (let t = s, p = t.parent; p !== null; t = p, p = t.parent) {
      if (t.dead) continue;
      t.checkedAt = 0;
      this.#maybeCut(t, 0);
    }
  }

  override canMerge(a: Vma, b: Vma): boolean {
    const x = stateOf(a), y = stateOf(b);
    if (x === null || y === null) return true;
    return x.space === y.space && x.pending === y.pending;
  }

  override newAnonPage(frame: number, vma: Vma, vpage: number, exclusive: boolean): void {
    const st = this.#stateFor(vma);
    const index = vma.linearIndex(vpage);
    if (!exclusive) {
      this.#addPage(this.#root(st.space), frame, index);
      return;
    }
    if (st.pending) this.#branch(vma, st);
    this.#addPage(st.space, frame, index);
    this.#maybeCut(st.space, vma.pages);
  }

  override pteAdded(frame: number, vma: Vma): void {
    const f = this.#ctx.frames;
    if ((f.flags[frame]! & PG.anon) === 0) return;
    const st = this.#stateFor(vma);
    const owner = this.#byId[f.owner[frame]!]!;
    // Fork copies PTEs; any other mapping of an existing page is a look-up up the chain.
    const forking = vma.mm === this.#forkMm &&
      this.#ctx.counters[C.events] === this.#forkEvent;
    if (!forking) this.#lookupSteps += this.#distance(st.space, owner);
  }

  override cowReuse(frame: number, vma: Vma): void {
    const st = this.#stateFor(vma);
    const f = this.#ctx.frames;
    const owner = this.#byId[f.owner[frame]!]!;
    this.#lookupSteps += this.#distance(st.space, owner);
    if (st.pending) this.#branch(vma, st);
    if (owner === st.space) return;
    const index = f.index[frame]!;
    this.#removePage(owner, frame, index);
    this.#addPage(st.space, frame, index);
    if (owner.vmas.size === 0) this.#tidy(owner);
    this.#maybeCut(st.space, vma.pages);
  }

  override pageFreed(frame: number): void {
    const f = this.#ctx.frames;
    const s = this.#byId[f.owner[frame]!];
    if (s === undefined) return;
    this.#removePage(s, frame, f.index[frame]!);
    if (s.dead && s.frames.size === 0) this.#byId[s.id] = undefined;
  }

  override rmapWalk(frame: number, visit: RmapVisitor): void {
    const f = this.#ctx.frames;
    const s = this.#byId[f.owner[frame]!];
    if (s === undefined) return;
    const index = f.index[frame]!;
    const counting = !this.#ctx.checking;
    const stack = [s];
    while (stack.length > 0) {
      const t = stack.pop()!;
      if (counting) this.#walkSpaces++;
      for (const vma of t.vmas) {
        if (visit.vma(vma, vma.addressOf(index))) return;
      }
      for (const c of t.children) stack.push(c);
    }
  }

  override extraCounters(): Record<string, number> {
    let depth = 0;
    for (const s of this.#byId) {
      if (s !== undefined && !s.dead && s.vmas.size > 0) depth = Math.max(depth, this.#depth(s));
    }
    return {
      objtree_spaces: this.#live,
      objtree_depth: depth,
      objtree_depth_peak: this.#depthPeak,
      objtree_collapses: this.#collapses,
      objtree_cuts: this.#cuts,
      objtree_pages_moved: this.#pagesMoved,
      objtree_lookup_steps: this.#lookupSteps,
      objtree_walk_spaces: this.#walkSpaces,
    };
  }
}

/** The `objtree` strategy. */
export const info: StrategyInfo = {
  name: "objtree",
  origin: "Lokier, linux-kernel 2000 (seed 003)",
  idea: "every area points to an address space; the first COW in a private area creates a child " +
    "space whose parent is the old one; lookups walk up the parent chain; collapse a child into " +
    "an only parent, cut the chain when an area has privately modified every page",
  counters: {
    objtree_spaces: "Address spaces (nodes of the tree) alive.",
    objtree_depth: "Longest chain of spaces, from a space in use up to its root, at the end.",
    objtree_depth_peak: "Longest chain of spaces at any time.",
    objtree_collapses: "Child spaces merged into a parent with no areas of its own (the collapse " +
      "rule).",
    objtree_cuts: "Spaces cut from their parent because they hold a page at every index their " +
      "areas cover (the cut rule).",
    objtree_pages_moved: "Pages moved into the parent space by collapses.",
    objtree_lookup_steps: "Parent links followed to find a space's root.",
    objtree_walk_spaces: "Spaces an rmap walk looked at.",
  },
  create: (ctx) => new ObjTree(ctx),
};
