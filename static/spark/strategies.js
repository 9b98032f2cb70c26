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
    // Europe/Istanbul on a Turkish page, UTC (said) in English: static/spark/i18n.js.
    if (ms) cell.textContent = window.SparkI18n ? SparkI18n.time(new Date(ms).toISOString()) : new Date(ms).toISOString();
  }
  const box = document.getElementById("opt");
  if (!box || box.dataset.running !== "1") return;
  const id = box.dataset.optId;
  const show = (m) => {
    const status = document.getElementById("opt-status");
    status.dataset.status = m.status;
    status.textContent = window.SparkI18n ? SparkI18n.label(m.status) : m.status;
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

// Running strategies: position, PnL and events pushed over /ws/strategies/runners/ as the
// kline stream closes bars; if the socket cannot open, the cards are polled instead.
(function () {
  "use strict";
  const cards = new Map();
  for (const card of document.querySelectorAll(".runner[data-runner-id]")) {
    cards.set(card.dataset.runnerId, card);
  }
  if (!cards.size) return;
  const show = (r) => {
    const card = cards.get(String(r.id));
    if (!card) return;
    card.dataset.running = r.status === "RUNNING" ? "1" : "0";
    const status = card.querySelector(".runner-status");
    status.dataset.status = r.status;
    status.textContent = window.SparkI18n ? SparkI18n.label(r.status) : r.status;
    // the page's number format (1.234,5678 on a Turkish page), as the server drew the card
    card.querySelector(".runner-qty").textContent = SparkI18n.fixed(r.positionQty, 3);
    card.querySelector(".runner-pnl").textContent = SparkI18n.fixed(r.realizedPnl, 4);
    card.querySelector(".runner-upnl").textContent = SparkI18n.fixed(r.unrealizedPnl, 4);
    if (window.SparkFx) { // and in TL, at the page's USDTTRY
      SparkFx.put(card.querySelector(".runner-pnl-try"), r.realizedPnl);
      SparkFx.put(card.querySelector(".runner-upnl-try"), r.unrealizedPnl);
    }
    if (r.status !== "RUNNING") card.querySelector(".runner-stop")?.closest("form")?.remove();
    const list = card.querySelector(".runner-events");
    list.replaceChildren(...r.events.slice(0, 10).map((e) => {
      const li = document.createElement("li");
      li.textContent = [SparkI18n.time(e.at), e.action, e.outcome || "", e.side || "",
        e.qty ? SparkI18n.number(e.qty) : "", e.price ? "@ " + SparkI18n.number(e.price) : "",
        e.message || ""].join(" ");
      return li;
    }));
  };
  let opened = false;
  const poll = () => {
    if (opened) return;
    for (const [id, card] of cards) {
      if (card.dataset.running !== "1") continue;
      fetch("/strategies/runners/" + id, { credentials: "same-origin" })
        .then((r) => r.json()).then(show).catch(() => {});
    }
    setTimeout(poll, 3000);
  };
  const connect = (delay) => {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(scheme + "://" + location.host + "/ws/strategies/runners/");
    ws.onopen = () => { opened = true; delay = 1000; };
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data);
      if (m.type === "snapshot") m.runners.forEach(show);
      else if (m.type === "runner") show(m);
    };
    ws.onclose = () => {
      if (!opened) { poll(); return; }
      setTimeout(() => connect(Math.min(delay * 2, 30000)), delay);
    };
  };
  connect(1000);
})();
