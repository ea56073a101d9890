// A sweep's page: one line chart per trace (memory on a log x axis, a line per strategy), the
// counter selector, the view relative to anon_vma_chain and the log toggle, from #sweep-data.
"use strict";
(() => {
  const vmr = globalThis.vmr;
  const data = vmr.data("sweep-data");
  if (!data) return;
  vmr.defaults();
  const select = document.getElementById("sweep-counter");
  const relative = document.getElementById("sweep-relative");
  const log = document.getElementById("sweep-log");

  const bytes = (n) => {
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let u = 0;
    while (n >= 1024 && u < units.length - 1) {
      n /= 1024;
      u++;
    }
    return `${Number(n.toPrecision(3))} ${units[u]}`;
  };

  const valuesOf = (trace, strategy, counter) => {
    const v = trace.values[strategy][counter];
    if (!relative.checked) return v;
    const base = trace.values[data.relativeTo]?.[counter] ?? [];
    return v.map((x, i) => {
      const b = base[i];
      if (x === null || b === null || b === undefined) return null;
      if (b === 0) return x === 0 ? 1 : null;
      return x / b;
    });
  };

  // Strategies whose curves are the same share one legend entry ("N strategies: same line").
  const datasets = (trace) =>
    vmr.groupSame(data.strategies.map((s, i) => ({
      label: s,
      data: trace.mems.map((m, j) => ({ x: m, y: valuesOf(trace, s, select.value)[j] })),
      borderColor: vmr.color(s, i),
      backgroundColor: vmr.color(s, i),
      pointRadius: 3,
      borderWidth: 2,
    })));

  const yTitle = () =>
    relative.checked
      ? `${select.options[select.selectedIndex].text} ÷ ${data.relativeTo}`
      : select.options[select.selectedIndex].text;

  const charts = data.traces.map((trace, k) =>
    new Chart(document.getElementById(`chart-sweep-${k}`), {
      type: "line",
      data: { datasets: datasets(trace) },
      options: {
        parsing: false,
        scales: {
          x: {
            type: "logarithmic",
            // A little room either side of the first and last size.
            min: trace.mems.length > 0 ? trace.mems[0] / 1.08 : undefined,
            max: trace.mems.length > 0 ? trace.mems[trace.mems.length - 1] * 1.08 : undefined,
            title: { display: true, text: "memory" },
            afterBuildTicks: (axis) => {
              axis.ticks = trace.mems.map((m) => ({ value: m }));
            },
            ticks: { callback: (v) => bytes(v) },
          },
          y: vmr.yScale(log.checked, yTitle()),
        },
        interaction: { mode: "nearest", axis: "x", intersect: false },
        plugins: {
          tooltip: {
            callbacks: {
              ...vmr.groupTooltip,
              title: (items) => items.length > 0 ? bytes(items[0].parsed.x) : "",
            },
          },
        },
      },
    })
  );

  charts.forEach((chart, k) =>
    vmr.sameLineNote(document.getElementById(`chart-sweep-${k}`), chart.data.datasets)
  );

  const redraw = () => {
    data.traces.forEach((trace, k) => {
      const chart = charts[k];
      chart.data.datasets = datasets(trace);
      chart.options.scales.y = vmr.yScale(log.checked, yTitle());
      chart.update();
      vmr.sameLineNote(document.getElementById(`chart-sweep-${k}`), chart.data.datasets);
    });
    vmr.showTable("table.sweep-table", select.value);
  };
  select.addEventListener("change", redraw);
  relative.addEventListener("change", redraw);
  log.addEventListener("change", redraw);
})();
