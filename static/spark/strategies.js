// Strategy Lab: copy the document into the side forms, format times, live optimization progress.
(function () {
  "use strict";
  const doc = document.getElementById("document");
  for (const id of ["save-document", "opt-document"]) {
    const hidden = document.getElementById(id);
    if (doc && hidden) {
      hidden.form.addEventListener("submit", () => { hidden.value = doc.value; });
    }
  }
  for (const cell of document.querySelectorAll("td.ts[data-ms]")) {
    const ms = Number(cell.dataset.ms);
    if (ms) cell.textContent = new Date(ms).toISOString().slice(0, 16).replace("T", " ");
  }
  const box = document.getElementById("opt");
  if (!box || box.dataset.running !== "1") return;
  const id = box.dataset.optId;
  const show = (m) => {
    document.getElementById("opt-status").textContent = m.status;
    const bar = document.getElementById("opt-progress");
    bar.max = m.total; bar.value = m.done;
    document.getElementById("opt-count").textContent = m.done + "/" + m.total;
    if (m.best && m.best.params) document.getElementById("opt-best").textContent = JSON.stringify(m.best.params);
    if (["DONE", "CANCELLED", "FAILED"].includes(m.status)) setTimeout(() => location.reload(), 300);
  };
  let live = false;
  try {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(scheme + "://" + location.host + "/ws/strategies/opt/" + id + "/");
    ws.onmessage = (e) => { live = true; show(JSON.parse(e.data)); };
  } catch (e) { /* fall back to polling below */ }
  // polling fallback when the socket route is unavailable
  const poll = () => {
    if (live) return;
    fetch("/strategies/optimizations/" + id, { credentials: "same-origin" })
      .then((r) => r.json()).then(show).catch(() => {})
      .finally(() => setTimeout(poll, 1000));
  };
  setTimeout(poll, 1500);
})();
