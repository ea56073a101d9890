/**
 * Shared pieces of the dashboard's server-rendered pages: the layout, number formatting, and data
 * handed to the page scripts as JSON inside the page. Every value interpolated through `html` is
 * escaped; `raw` is used only for markup built here.
 *
 * @module
 */
import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";

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

/** The time series of a run, with the titles the pages give them. */
export const SERIES: readonly { key: string; title: string }[] = [
  { key: "resident_pages", title: "Resident pages" },
  { key: "free_frames", title: "Free frames" },
  { key: "swap_used", title: "Swap used (pages)" },
  { key: "swap_io", title: "Cumulative swap I/O (pages)" },
  { key: "faults", title: "Cumulative faults" },
  { key: "pte_walks", title: "Cumulative pte_walks" },
];

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

/** A canvas for a chart, in a box of fixed height (Chart.js sizes the canvas to it). */
export function chartBox(id: string, label: string, tall = false): Html {
  return html`
    <div class="chart${tall ? " tall" : ""}">
      <canvas id="${id}" role="img" aria-label="${label}"></canvas>
    </div>
  `;
}
