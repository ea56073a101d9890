// Shared helpers of the dashboard's page scripts (plain browser JavaScript, no build step).
"use strict";
(() => {
  /** Colors by strategy name, the same on every page; other names take the fallback palette. */
  const VMR_COLORS = {
    scan: "#7f7f7f",
    pte_chain: "#d62728",
    anon_inode: "#9467bd",
    objtree: "#8c564b",
    anonmm: "#ff7f0e",
    anon_vma: "#2ca02c",
    anon_vma_chain: "#1f77b4",
  };
  const VMR_FALLBACK = ["#17becf", "#bcbd22", "#e377c2", "#393b79", "#637939", "#8c6d31"];

  function color(name, i) {
    return VMR_COLORS[name] ?? VMR_FALLBACK[i % VMR_FALLBACK.length];
  }

  /** The JSON a page embeds in `<script type="application/json" id=...>`. */
  function data(id) {
    const el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  /** Chart.js defaults for every chart: no animation (charts are drawn at once), compact legend. */
  function defaults() {
    Chart.defaults.animation = false;
    Chart.defaults.maintainAspectRatio = false;
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.plugins.legend.labels.boxWidth = 14;
  }

  /** A y scale, linear or logarithmic. */
  function yScale(log, title) {
    return {
      type: log ? "logarithmic" : "linear",
      beginAtZero: !log,
      title: { display: Boolean(title), text: title ?? "" },
    };
  }

  /** Wires a log-scale checkbox to a chart. */
  function logToggle(checkboxId, chart, title) {
    const box = document.getElementById(checkboxId);
    if (!box) return;
    box.addEventListener("change", () => {
      chart.options.scales.y = yScale(box.checked, title);
      chart.update();
    });
  }

  /** Shows the table whose data-counter is `counter` among `selector`'s, hides the others. */
  function showTable(selector, counter) {
    for (const t of document.querySelectorAll(selector)) t.hidden = t.dataset.counter !== counter;
  }

  /**
   * A bar chart of one counter at a time on `canvas`: the counter chosen in `select` (its
   * datasets from `datasetsFor(counter)`), a log scale when `log` is checked, and the tables of
   * `tables` showing that counter's numbers.
   */
  function counterChart(canvas, labels, select, log, tables, datasetsFor) {
    const chart = new Chart(canvas, {
      type: "bar",
      data: { labels, datasets: datasetsFor(select.value) },
      options: { scales: { y: yScale(log.checked, select.value) } },
    });
    const redraw = () => {
      chart.data.datasets = datasetsFor(select.value);
      chart.options.scales.y = yScale(log.checked, select.value);
      chart.update();
      showTable(tables, select.value);
    };
    select.addEventListener("change", redraw);
    log.addEventListener("change", redraw);
    return chart;
  }

  globalThis.vmr = { color, data, defaults, yScale, logToggle, showTable, counterChart };
})();
