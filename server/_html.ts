/**
 * Shared pieces of the dashboard's server-rendered pages: the layout, number formatting, and data
 * handed to the page scripts as JSON inside the page. Every value interpolated through `html` is
 * escaped; `raw` is used only for markup built here.
 *
 * @module
 */
import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import { counterDescriptions } from "../analyze/counter_docs.ts";

/** What the page templates return. */
export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/** The counters drawn as grouped bars and offered in the pages' counter pickers. */
export const KEY_COUNTERS: readonly string[] = [
  "minor_faults",
  "major_faults",
  "cow_copies",
  "swap_out_pages",
  "swap_in_pages",
  "swap_io_requests",
  "pte_walks",
  "rmap_vma_visits",
  "rmap_wasted_visits",
  "mremap_pages_copied",
  "fork_ptes_copied",
  "fork_rmap_allocs",
  "rmap_meta_bytes_peak",
  "page_table_pages_peak",
];

/** Counters in bytes: drawn apart from the counts, on an axis of their own. */
export const BYTE_COUNTERS: readonly string[] = ["rmap_meta_bytes_peak"];

/** The time series of a run, with the titles the pages give them. */
export const SERIES: readonly { key: string; title: string }[] = [
  { key: "resident_pages", title: "Resident pages" },
  { key: "free_frames", title: "Free frames" },
  { key: "swap_used", title: "Swap used (pages)" },
  { key: "swap_io", title: "Cumulative swap I/O (pages)" },
  { key: "faults", title: "Cumulative faults" },
  { key: "pte_walks", title: "Cumulative pte_walks" },
];

/** What each counter counts (the machine's, `--check`'s and the strategies' own), by name. */
export const COUNTER_TEXT: Readonly<Record<string, string>> = counterDescriptions();

/** A counter's name with what it counts on hover (and to screen readers, as its title). */
export function counterName(name: string): Html {
  const text = COUNTER_TEXT[name];
  return text === undefined
    ? html`${name}`
    : html`<span class="counter" title="${text}">${name}</span>`;
}

/**
 * A name that may break after its underscores (`anon_<wbr>vma_<wbr>chain`) when a narrow column
 * needs it, and nowhere else.
 */
export function breakable(name: string): Html {
  const parts = name.split("_");
  return html`${parts.map((p, i) => i < parts.length - 1 ? html`${p}_<wbr>` : html`${p}`)}`;
}

/** `text` on one line, cut with an ellipsis when it does not fit, whole on hover. */
export function truncated(text: string, href?: string): Html {
  return href === undefined
    ? html`<span class="trunc" title="${text}">${text}</span>`
    : html`<a class="trunc" href="${href}" title="${text}">${text}</a>`;
}

/**
 * A number in at most 6 characters, for tight cells: exact below 10 000 (`9,999`), else 3
 * significant digits and a unit (`12.3k`, `4.57M`, `1.2G`).
 */
export function fmtShort(n: number | undefined): string {
  if (n === undefined || Number.isNaN(n)) return "–";
  const a = Math.abs(n);
  if (a < 1e4) return fmt(n);
  for (const [div, unit] of [[1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "k"]] as const) {
    if (a >= div) return `${Number((n / div).toPrecision(3))}${unit}`;
  }
  return fmt(n);
}

/** A number for a table: integers with thousands separators, fractions with 3 significant digits. */
export function fmt(n: number | undefined): string {
  if (n === undefined || Number.isNaN(n)) return "–";
  if (Number.isInteger(n)) return n.toLocaleString("en-US");
  return n.toLocaleString("en-US", { maximumSignificantDigits: 3 });
}

/** Bytes as KiB/MiB/GiB. */
export function fmtBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let u = 0;
  while (n >= 1024 && u < units.length - 1 && n % 1024 === 0) {
    n /= 1024;
    u++;
  }
  return `${fmt(n)} ${units[u]}`;
}

/**
 * Bytes in at most about 8 characters: whole binary units when exact (`64 MiB`), else 3
 * significant digits (`12.7 MiB`); 0 is `0`.
 */
export function fmtSize(n: number): string {
  if (n === 0) return "0";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let u = 0, v = n;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${Number.isInteger(v) ? v : Number(v.toPrecision(3))} ${units[u]}`;
}

/** A date as `YYYY-MM-DD HH:MM:SS UTC`. */
export function fmtDate(iso: string): string {
  return `${iso.slice(0, 19).replace("T", " ")} UTC`;
}

/**
 * Data for a page script, as `<script type="application/json">`: not executed, and `<`, `>`, `&`,
 * U+2028 and U+2029 are written as JSON escapes so that no trace-derived string can close the tag.
 */
export function jsonData(id: string, data: unknown): Html {
  const json = JSON.stringify(data).replace(
    /[<>&\u2028\u2029]/g,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  return html`<script type="application/json" id="${id}">${raw(json)}</script>`;
}

/** Options of {@linkcode layout}. */
export interface LayoutOptions {
  /** Page title (escaped). */
  title: string;
  /** Scripts of `/assets/` to load after the content, in order. */
  scripts?: string[];
}

/** The page around `body`: head, navigation, stylesheet and scripts (all served by the app). */
export function layout(opts: LayoutOptions, body: Html): Html {
  const scripts = (opts.scripts ?? []).map((s) => html`<script src="/assets/${s}"></script>`);
  return html`
    <!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>${opts.title} · vmreplay</title>
        <link rel="icon" href="data:,">
        <link rel="stylesheet" href="/assets/app.css">
      </head>
      <body>
        <header class="top">
          <a class="brand" href="/">vmreplay</a>
          <nav><a href="/">Runs</a> <a href="/sweeps">Sweeps</a> <a href="/upload">Upload a trace</a></nav>
        </header>
        <main>
        ${body}
        </main>
        ${scripts}
          </body>
    </html>
  `;
}

/**
 * A canvas for a chart, in a box of fixed height (Chart.js sizes the canvas to it): `tall` for a
 * chart of many groups, `short` for a small one.
 */
export function chartBox(id: string, label: string, tall = false, short = false): Html {
  return html`
    <div class="chart${tall ? " tall" : ""}${short ? " short" : ""}">
      <canvas id="${id}" role="img" aria-label="${label}"></canvas>
    </div>
  `;
}
