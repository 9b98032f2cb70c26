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

// Running strategies: position, PnL and events refreshed every few seconds.
(function () {
  "use strict";
  for (const card of document.querySelectorAll(".runner[data-running='1']")) {
    const id = card.dataset.runnerId;
    const tick = () => {
      fetch("/strategies/runners/" + id, { credentials: "same-origin" })
        .then((r) => r.json())
        .then((r) => {
          card.querySelector(".runner-status").textContent = r.status;
          card.querySelector(".runner-qty").textContent = Number(r.positionQty).toFixed(3);
          card.querySelector(".runner-pnl").textContent = Number(r.realizedPnl).toFixed(4);
          card.querySelector(".runner-upnl").textContent = Number(r.unrealizedPnl).toFixed(4);
          const list = card.querySelector(".runner-events");
          list.replaceChildren(...r.events.slice(0, 10).map((e) => {
            const li = document.createElement("li");
            li.textContent = [e.at.slice(0, 19), e.action, e.outcome || "", e.side || "",
              e.qty || "", e.price ? "@ " + e.price : "", e.message || ""].join(" ");
            return li;
          }));
          if (r.status === "RUNNING") setTimeout(tick, 3000);
        })
        .catch(() => setTimeout(tick, 5000));
    };
    setTimeout(tick, 3000);
  }
})();
