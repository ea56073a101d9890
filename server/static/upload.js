// The upload form: posts the trace to /api/runs, shows each strategy's progress by polling the
// job, then opens the new run's page; a bad trace or bad parameter shows the server's message.
"use strict";
(() => {
  const form = document.getElementById("upload");
  const errorBox = document.getElementById("error");
  const progress = document.getElementById("progress");
  const bars = document.getElementById("bars");
  const submit = document.getElementById("submit");
  const status = document.getElementById("status");

  const showError = (message) => {
    errorBox.textContent = message;
    errorBox.hidden = false;
    progress.hidden = true;
    submit.disabled = false;
  };

  const bar = (strategy) => {
    let row = bars.querySelector(`[data-strategy="${CSS.escape(strategy)}"]`);
    if (!row) {
      row = document.createElement("div");
      row.className = "bar";
      row.dataset.strategy = strategy;
      const name = document.createElement("span");
      name.textContent = strategy;
      const meter = document.createElement("progress");
      meter.max = 1;
      meter.value = 0;
      const text = document.createElement("span");
      text.className = "note";
      text.textContent = "waiting";
      row.append(name, meter, text);
      bars.append(row);
    }
    return row;
  };

  const update = (job) => {
    const done = Object.values(job.progress).filter((p) => p.total > 0 && p.events >= p.total);
    const total = bars.children.length;
    status.textContent = job.state === "queued"
      ? "Waiting for another replay to finish…"
      : `Replaying ${job.trace}: ${done.length} of ${total} strategies done`;
    for (const [strategy, p] of Object.entries(job.progress)) {
      const row = bar(strategy);
      const [, meter, text] = row.children;
      meter.max = Math.max(1, p.total);
      meter.value = p.events;
      text.textContent = `${p.events.toLocaleString("en-US")} / ${
        p.total.toLocaleString("en-US")
      } events`;
    }
  };

  const poll = async (url) => {
    for (;;) {
      const res = await fetch(url);
      const job = await res.json();
      if (!res.ok) return showError(job.error ?? `Status ${res.status}`);
      update(job);
      if (job.state === "done") {
        status.textContent = `Stored as run ${job.run_id}; opening it…`;
        location.assign(`/runs/${job.run_id}`);
        return;
      }
      if (job.state === "failed") return showError(`Replay failed: ${job.error}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    errorBox.hidden = true;
    if (form.querySelectorAll("input[name=strategies]:checked").length === 0) {
      return showError("Choose at least one strategy.");
    }
    submit.disabled = true;
    bars.replaceChildren();
    for (const box of form.querySelectorAll("input[name=strategies]:checked")) bar(box.value);
    progress.hidden = false;
    status.textContent = "Uploading and checking the trace…";
    try {
      const res = await fetch("/api/runs", { method: "POST", body: new FormData(form) });
      const body = await res.json().catch(() => ({ error: `Status ${res.status}` }));
      if (!res.ok) return showError(body.error ?? `Status ${res.status}`);
      await poll(body.status_url);
    } catch (e) {
      showError(`Upload failed: ${e.message}`);
    }
  });
})();
