/**
 * Micro-benchmarks of the machine (`core/machine.ts`) with the default strategy: the access fast
 * path (TLB hits), random accesses over a 64 MiB area with 90 % locality, and fork + exit of a
 * 10 000-page process. Each iteration replays one prebuilt batch on a fresh machine.
 *
 * ```sh
 * deno bench bench/machine_bench.ts
 * ```
 *
 * @module
 */
import { EventBatch } from "../trace/batch.ts";
import { Machine } from "../core/machine.ts";
import { Rng } from "../trace/_rng.ts";

const A = 0x7f0000000000;
const N = 1 << 18;

function hits(): EventBatch {
  const b = new EventBatch(N);
  b.push({ pid: 1, op: "mmap", addr: A, len: 1 << 20, prot: 3, flags: 5 });
  for (let i = 1; i < N; i++) {
    b.push({ pid: 1, op: i & 1 ? "w" : "r", addr: A + (i & 63) * 4096, len: 8 });
  }
  return b;
}

function random(): EventBatch {
  const rng = new Rng(1);
  const rnd = () => rng.next();
  const b = new EventBatch(N);
  b.push({ pid: 1, op: "mmap", addr: A, len: 64 << 20, prot: 3, flags: 5 });
  for (let i = 1; i < N; i++) {
    const page = rnd() < 0.9 ? Math.floor(rnd() * 256) : Math.floor(rnd() * 16384);
    b.push({ pid: 1, op: rnd() < 0.3 ? "w" : "r", addr: A + page * 4096 + 8, len: 8 });
  }
  return b;
}

function forks(): EventBatch {
  const b = new EventBatch(10_000 + 1 + 2 * 50);
  b.push({ pid: 1, op: "mmap", addr: A, len: 40 << 20, prot: 3, flags: 5 });
  for (let p = 0; p < 10_000; p++) b.push({ pid: 1, op: "w", addr: A + p * 4096, len: 8 });
  for (let k = 0; k < 50; k++) {
    b.push({ pid: 1, op: "fork", child: 2 });
    b.push({ pid: 2, op: "exit" });
  }
  return b;
}

function replay(b: EventBatch): void {
  const m = new Machine({ memPages: 1 << 16, swapPages: 0, strategy: "anon_vma_chain" });
  for (let i = 0; i < b.length; i++) m.apply(b, i, i + 1);
}

const batches = { hits: hits(), random: random(), forks: forks() };

Deno.bench("machine: 256 K accesses hitting the TLB", () => replay(batches.hits));
Deno.bench("machine: 256 K random accesses, 90 % locality", () => replay(batches.random));
Deno.bench("machine: 50 fork + exit of a 10 000-page process", () => replay(batches.forks));
