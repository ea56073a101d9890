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

  /**
   * A y scale, linear or logarithmic. A log scale starts at 0.5 so that a count of 1 still has a
   * bar (zeros have none: see zeroLabels), and labels whole numbers only.
   */
  function yScale(log, title) {
    const scale = {
      type: log ? "logarithmic" : "linear",
      beginAtZero: !log,
      title: { display: Boolean(title), text: title ?? "" },
    };
    if (log) {
      scale.min = 0.5;
      scale.ticks = {
        callback: (v) => v >= 1 && Number.isInteger(v) ? Number(v).toLocaleString("en-US") : "",
      };
    }
    return scale;
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
      plugins: [zeroLabels],
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

  /**
   * Datasets that draw the same line, merged: one dataset per distinct series, in the color of its
   * first member, labelled "N strategies: same line" when several share it; `members` keeps their
   * names (the tooltip lists them). `key(d)` is what must be equal (default: the data as JSON).
   */
  function groupSame(datasets, key = (d) => JSON.stringify(d.data)) {
    const groups = new Map();
    for (const d of datasets) {
      const k = key(d);
      const g = groups.get(k);
      if (g) g.members.push(d.label);
      else groups.set(k, { ...d, members: [d.label] });
    }
    return [...groups.values()].map((g) =>
      g.members.length > 1 ? { ...g, label: `${g.members.length} strategies: same line` } : g
    );
  }

  /** Tooltip callbacks naming every member of a grouped dataset (see groupSame). */
  const groupTooltip = {
    label: (item) => {
      const d = item.dataset;
      const value = item.formattedValue;
      return d.members && d.members.length > 1
        ? `${d.members.join(", ")}: ${value}`
        : `${d.label}: ${value}`;
    },
  };

  /** Writes, under `canvas`'s box, which strategies share a line (or nothing when none do). */
  function sameLineNote(canvas, datasets) {
    const box = canvas.parentElement;
    let note = box.nextElementSibling;
    if (!note || !note.classList.contains("same-lines")) {
      note = document.createElement("p");
      note.className = "note same-lines";
      box.after(note);
    }
    const shared = datasets.filter((d) => d.members && d.members.length > 1);
    note.hidden = shared.length === 0;
    note.textContent = shared.map((d) => `Same line: ${d.members.join(", ")}.`).join(" ");
  }

  /** `text` cut into lines of at most `width` characters at spaces (for tooltips). */
  function wrapText(text, width = 60) {
    const lines = [];
    let line = "";
    for (const word of text.split(" ")) {
      if (line && line.length + 1 + word.length > width) {
        lines.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    if (line) lines.push(line);
    return lines;
  }

  /**
   * A Chart.js plugin that writes "0" at the foot of every bar whose value is zero, in the bar's
   * color: on a log scale a zero has no bar at all, and on a linear one it is invisible.
   */
  const zeroLabels = {
    id: "vmrZeroLabels",
    afterDatasetsDraw(chart) {
      const { ctx } = chart;
      const bottom = chart.scales.y?.bottom;
      if (bottom === undefined) return;
      ctx.save();
      ctx.font = `bold 11px ${Chart.defaults.font.family}`;
      ctx.textAlign = "center";
      ctx.textBaseline = "bottom";
      chart.data.datasets.forEach((d, i) => {
        const meta = chart.getDatasetMeta(i);
        if (meta.hidden || !chart.isDatasetVisible(i)) return;
        meta.data.forEach((bar, j) => {
          if (d.data[j] !== 0) return;
          ctx.fillStyle = Array.isArray(d.backgroundColor)
            ? d.backgroundColor[j]
            : d.backgroundColor;
          ctx.fillText("0", bar.x, bottom - 1);
        });
      });
      ctx.restore();
    },
  };

  globalThis.vmr = {
    color,
    data,
    defaults,
    yScale,
    logToggle,
    showTable,
    counterChart,
    groupSame,
    groupTooltip,
    sameLineNote,
    wrapText,
    zeroLabels,
  };
})();
