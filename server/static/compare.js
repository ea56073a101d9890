// The comparison page: one counter of runs A and B per strategy, and their estimated costs.
"use strict";
(() => {
  const vmr = globalThis.vmr;
  const data = vmr.data("compare-data");
  if (!data || data.strategies.length === 0) return;
  vmr.defaults();
  const A = "#1f77b4", B = "#ff7f0e";

  if (data.cost && document.getElementById("chart-cost")) {
    new Chart(document.getElementById("chart-cost"), {
      type: "bar",
      data: {
        labels: data.strategies,
        datasets: [
          { label: data.a.label, data: data.cost.a, backgroundColor: A },
          { label: data.b.label, data: data.cost.b, backgroundColor: B },
        ],
      },
      options: { scales: { y: vmr.yScale(false, "estimated cost (ms)") } },
    });
  }

  const select = document.getElementById("compare-counter");
  const log = document.getElementById("log-compare");
  const datasetsFor = (c) => [
    {
      label: data.a.label,
      data: data.strategies.map((s) => data.totalsA[s][c] ?? null),
      backgroundColor: A,
    },
    {
      label: data.b.label,
      data: data.strategies.map((s) => data.totalsB[s][c] ?? null),
      backgroundColor: B,
    },
  ];
  vmr.counterChart(
    document.getElementById("chart-compare"),
    data.strategies,
    select,
    log,
    "table.compare-table",
    datasetsFor,
  );
})();
