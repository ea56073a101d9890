/**
 * The comparison of two runs: for each strategy both ran, every counter side by side with the
 * change, a grouped bar chart of a chosen counter, and the cost ranking of each.
 *
 * @module
 */
import { html } from "hono/html";
import type { StoredRun } from "../../analyze/store.ts";
import {
  breakable,
  chartBox,
  COUNTER_TEXT,
  counterName,
  fmt,
  fmtBytes,
  fmtDate,
  type Html,
  jsonData,
  KEY_COUNTERS,
  layout,
} from "../_html.ts";
import { counterNames, type RankEntry } from "./run_page.ts";

/** Relative change from `a` to `b`, as text (`+12.5%`, `−3%`, `=`, `new`). */
export function change(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined) return "–";
  if (a === b) return "=";
  if (a === 0) return "new";
  const pct = (b - a) / a * 100;
  const text = Math.abs(pct).toLocaleString("en-US", { maximumSignificantDigits: 3 });
  return `${pct > 0 ? "+" : "−"}${text}%`;
}

function runHead(run: StoredRun, tag: string): Html {
  return html`
    <div class="card">
      <h2>${tag}: <a href="/runs/${run.id}">run ${run.id}</a> · ${run.trace.name}</h2>
      <p>${fmt(run.trace.events)} events · memory ${fmtBytes(run.machine.mem)} · swap ${fmtBytes(
        run.machine.swap,
      )} · ${fmtDate(run.created_at)} · vmreplay ${run.version}</p>
    </div>
  `;
}

/** The machine options that differ between two runs, as `name A → B` texts. */
export function machineDifferences(a: StoredRun, b: StoredRun): string[] {
  const keys = [...new Set([...Object.keys(a.machine), ...Object.keys(b.machine)])];
  const show = (k: string, v: unknown) =>
    typeof v === "number" && ["mem", "swap", "page"].includes(k) ? fmtBytes(v) : String(v ?? "–");
  return keys.filter((k) => a.machine[k] !== b.machine[k]).map((k) =>
    `${k} ${show(k, a.machine[k])} → ${show(k, b.machine[k])}`
  );
}

/** The HTML of the comparison of run `a` with run `b`. */
export function comparePage(
  a: StoredRun,
  b: StoredRun,
  ranking: { a?: RankEntry[]; b?: RankEntry[] } = {},
): Html {
  const strategies = a.strategies.filter((s) => b.strategies.includes(s));
  const onlyA = a.strategies.filter((s) => !b.strategies.includes(s));
  const onlyB = b.strategies.filter((s) => !a.strategies.includes(s));
  const namesA = counterNames(a);
  const names = namesA.filter((n) => counterNames(b).includes(n));
  const chartCounters = [
    ...KEY_COUNTERS.filter((n) => names.includes(n)),
    ...names.filter((n) => !KEY_COUNTERS.includes(n)),
  ];
  const differences = machineDifferences(a, b);
  const selected = chartCounters.includes("pte_walks") ? "pte_walks" : chartCounters[0];
  const costA = new Map((ranking.a ?? []).map((r) => [r.strategy, r.cost_ms]));
  const costB = new Map((ranking.b ?? []).map((r) => [r.strategy, r.cost_ms]));
  const hasCost = strategies.some((s) => costA.has(s) && costB.has(s));
  const data = {
    a: { id: a.id, label: `A: run ${a.id}` },
    b: { id: b.id, label: `B: run ${b.id}` },
    strategies,
    counters: chartCounters,
    totalsA: a.totals,
    totalsB: b.totals,
    cost: hasCost
      ? {
        a: strategies.map((s) => costA.get(s) ?? null),
        b: strategies.map((s) => costB.get(s) ?? null),
      }
      : null,
  };
  const body = html`<h1>Compare run ${a.id} with run ${b.id}</h1>
<div class="pair">${runHead(a, "A")}${runHead(b, "B")}</div>
${
    differences.length > 0
      ? html`<p class="differs">Machine differences: ${differences.join("; ")}</p>`
      : html`<p class="note">Same machine options.</p>`
  }${
    a.trace.sha256 === b.trace.sha256
      ? ""
      : html`<p class="note">The runs replayed different traces.</p>`
  }
${
    onlyA.length + onlyB.length > 0
      ? html`<p class="note">Only in A: ${onlyA.join(", ") || "none"}. Only in B: ${
        onlyB.join(", ") || "none"
      }. These are left out below.</p>`
      : ""
  }
${
    strategies.length === 0 ? html`<p>The two runs have no strategy in common.</p>` : html`
      ${hasCost
        ? html`<section id="cost">
<h2>Estimated cost (ms)</h2>
${chartBox("chart-cost", "Estimated cost per strategy, A and B")}
<table class="num" id="table-cost"><thead><tr><th>strategy</th><th>A</th><th>B</th><th>change</th></tr></thead>
<tbody>${
          strategies.map((s) =>
            html`
              <tr>
                <th scope="row">${s}</th>
                <td>${fmt(costA.get(s))}</td>
                <td>${fmt(costB.get(s))}</td>
                <td>${change(costA.get(s), costB.get(s))}</td>
              </tr>
            `
          )
        }</tbody></table>
</section>`
        : ""}
      <section id="counter">
      <h2>One counter, A and B</h2>
      <label>Counter <select id="compare-counter">${chartCounters.map((c) =>
        html`
          <option value="${c}" title="${COUNTER_TEXT[c] ?? ""}" ${c === selected
            ? html`
              selected
            `
            : ""}>${c}</option>
        `
      )}</select></label>
      <label class="toggle"><input type="checkbox" id="log-compare"> log scale</label>
      ${chartBox("chart-compare", "Selected counter per strategy, A and B")}
      ${chartCounters.map((c) =>
        html`
          <table class="num compare-table" data-counter="${c}" ${c === selected ? "" : html`
            hidden
          `}>
            <caption>${counterName(c)}</caption>
            <thead>
              <tr>
                <th>strategy</th>
                <th>A</th>
                <th>B</th>
                <th>change</th>
              </tr>
            </thead>
            <tbody>${strategies.map((s) => {
              const va = a.totals[s]![c], vb = b.totals[s]![c];
              return html`
                <tr>
                  <th scope="row">${s}</th>
                  <td>${fmt(va)}</td>
                  <td>${fmt(vb)}</td>
                  <td>${change(va, vb)}</td>
                </tr>
              `;
            })}</tbody>
          </table>
        `
      )}
      </section>
      <section id="all">
        <h2>Every counter (A → B)</h2>
        <table class="num wide" id="table-all">
          <thead>
            <tr><th>counter</th>${strategies.map((s) => html`<th>${breakable(s)}</th>`)}</tr>
          </thead>
          <tbody>${names.map((n) =>
            html`<tr><th scope="row">${counterName(n)}</th>${
              strategies.map((s) => {
                const va = a.totals[s]![n], vb = b.totals[s]![n];
                if (va === undefined && vb === undefined) return html`<td>–</td>`;
                return html`
                  <td
                    class="pair-values"><span>${fmt(va)}</span> → <span>${fmt(
                      vb,
                    )}</span> <span class="delta">${change(va, vb)}</span></td>
                `;
              })
            }</tr>`
          )}</tbody>
        </table>
      </section>
    `
  }
${jsonData("compare-data", data)}`;
  return layout(
    { title: `Compare ${a.id} and ${b.id}`, scripts: ["chart.js", "common.js", "compare.js"] },
    body,
  );
}
