// A run's page: draws the ranking, key counters, time series and phase charts from #run-data.
"use strict";
(() => {
  const vmr = globalThis.vmr;
  const data = vmr.data("run-data");
  if (!data) return;
  vmr.defaults();
  const strategies = data.strategies;

  if (data.ranking.length > 0 && document.getElementById("chart-ranking")) {
    new Chart(document.getElementById("chart-ranking"), {
      type: "bar",
      data: {
        labels: data.ranking.map((r, i) => `#${r.rank ?? i + 1} ${r.strategy}`),
        datasets: [{
          label: "estimated cost (ms)",
          data: data.ranking.map((r) => r.cost_ms),
          backgroundColor: data.ranking.map((r, i) => vmr.color(r.strategy, i)),
        }],
      },
      options: {
        indexAxis: "y",
        plugins: { legend: { display: false } },
        scales: { x: { beginAtZero: true, title: { display: true, text: "ms" } } },
      },
    });
  }

  // What a counter counts, under its name in a tooltip.
  const describe = (items) => {
    const name = items[0]?.label;
    return name && data.descriptions[name] ? vmr.wrapText(data.descriptions[name]) : [];
  };

  const barsOf = (names) =>
    strategies.map((s, i) => ({
      label: s,
      data: names.map((c) => data.totals[s][c] ?? null),
      backgroundColor: vmr.color(s, i),
    }));

  const logBox = document.getElementById("log-counters");
  const counters = new Chart(document.getElementById("chart-counters"), {
    type: "bar",
    data: { labels: data.keyCounters, datasets: barsOf(data.keyCounters) },
    options: {
      scales: { y: vmr.yScale(logBox.checked, "count") },
      plugins: { tooltip: { callbacks: { afterTitle: describe } } },
    },
    plugins: [vmr.zeroLabels],
  });
  vmr.logToggle("log-counters", counters, "count");

  const bytesCanvas = document.getElementById("chart-bytes");
  if (bytesCanvas && data.byteCounters.length > 0) {
    new Chart(bytesCanvas, {
      type: "bar",
      data: { labels: data.byteCounters, datasets: barsOf(data.byteCounters) },
      options: {
        scales: { y: vmr.yScale(false, "bytes") },
        plugins: { tooltip: { callbacks: { afterTitle: describe } } },
      },
      plugins: [vmr.zeroLabels],
    });
  } else if (bytesCanvas) {
    bytesCanvas.parentElement.hidden = true;
  }

  for (const { key, title } of data.seriesKeys) {
    const canvas = document.getElementById(`chart-series-${key}`);
    if (!canvas) continue;
    // Strategies that draw exactly the same line share one legend entry.
    const datasets = vmr.groupSame(strategies.map((s, i) => {
      const series = data.series[s];
      return {
        label: s,
        data: (series.at ?? []).map((x, j) => ({ x, y: series[key]?.[j] ?? null })),
        borderColor: vmr.color(s, i),
        backgroundColor: vmr.color(s, i),
        pointRadius: 0,
        borderWidth: 2,
      };
    }));
    new Chart(canvas, {
      type: "line",
      data: { datasets },
      options: {
        parsing: false,
        scales: {
          x: { type: "linear", title: { display: true, text: "event" } },
          y: { beginAtZero: true, title: { display: true, text: title } },
        },
        interaction: { mode: "nearest", axis: "x", intersect: false },
        plugins: { tooltip: { callbacks: vmr.groupTooltip } },
      },
    });
    vmr.sameLineNote(canvas, datasets);
  }

  const select = document.getElementById("phase-counter");
  const phaseCanvas = document.getElementById("chart-phases");
  const log = document.getElementById("log-phases");
  if (select && phaseCanvas && log) {
    const datasetsFor = (c) =>
      strategies.map((s, i) => ({
        label: s,
        data: data.phases.values[s][c],
        backgroundColor: vmr.color(s, i),
      }));
    vmr.counterChart(
      phaseCanvas,
      data.phases.labels.map((l, i) => `${i + 1}. ${l}`),
      select,
      log,
      "table.phase-table",
      datasetsFor,
    );
  }
})();
