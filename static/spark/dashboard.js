/* The live dashboard (/): fills the server-rendered cards from SparkLive and updates them in
 * place. No framework, no build step. */
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const root = $("dashboard");
  if (!root || !window.SparkLive) return;
  let symbol = root.dataset.symbol;
  const marks = new Map(); // symbol -> latest mark price (a live order's notional shows it)

  function text(id, value) {
    const el = $(id);
    if (el && value !== undefined && value !== null && el.textContent !== String(value)) {
      el.textContent = value;
    }
  }
  function cell(tr, value, cls) {
    const td = document.createElement("td");
    td.textContent = value === null || value === undefined ? "—" : value;
    if (cls) td.className = cls;
    tr.appendChild(td);
    return td;
  }
  function num(v) { const n = parseFloat(v); return isNaN(n) ? null : n; }
  const fmt = SparkLive.number; // 1.234,56 on Turkish pages
  const I = window.SparkI18n; // labels of codes, USD with 2 decimals (static/spark/i18n.js)
  function usd(id, value) { // 2 decimals shown, the full precision on hover
    text(id, I.usd(value));
    const el = $(id);
    if (el && value !== undefined && value !== null) el.title = String(value);
  }
  function empty(tbody, cols, message) {
    tbody.replaceChildren();
    const tr = document.createElement("tr");
    const td = cell(tr, message, "muted");
    td.colSpan = cols;
    tbody.appendChild(tr);
  }

  // -- market -------------------------------------------------------------------------------
  let lastPrice = null;
  function renderTicker(t) {
    if (!t || t.symbol !== symbol) return;
    const last = $("ticker-last");
    if (t.last !== null && t.last !== undefined) {
      const p = num(t.last);
      if (lastPrice !== null && p !== null && p !== lastPrice) {
        last.classList.toggle("up", p > lastPrice);
        last.classList.toggle("down", p < lastPrice);
      }
      lastPrice = p;
      text("ticker-last", fmt(t.last));
    }
    text("ticker-mark", fmt(t.mark));
    if (t.change_pct !== undefined) {
      text("ticker-change", fmt(t.change) + " (" + fmt(t.change_pct) + "%)");
      const el = $("ticker-change");
      el.className = "num " + (num(t.change_pct) >= 0 ? "up" : "down");
    }
    if (t.high !== undefined) text("ticker-range", fmt(t.high) + " / " + fmt(t.low));
    if (t.volume !== undefined) text("ticker-volume", fmt(t.volume));
    if (t.funding_rate !== undefined) text("ticker-funding", fmt(t.funding_rate));
  }
  function renderDepth(d) {
    if (!d || d.symbol !== symbol) return;
    const body = $("depth-body");
    const bids = d.bids || [], asks = d.asks || [];
    const rows = Math.max(bids.length, asks.length);
    if (!rows) return empty(body, 4, "—");
    const frag = document.createDocumentFragment();
    for (let i = 0; i < rows; i++) {
      const tr = document.createElement("tr");
      const b = bids[i] || [], a = asks[i] || [];
      cell(tr, fmt(b[1]), "num");
      cell(tr, fmt(b[0]), "num up");
      cell(tr, fmt(a[0]), "num down");
      cell(tr, fmt(a[1]), "num");
      frag.appendChild(tr);
    }
    body.replaceChildren(frag);
  }

  // -- account, positions, orders, risk, streams ---------------------------------------------
  // Each USD total also in TL (static/spark/fx.js: the page's USDTTRY, exact, stale marked).
  function tl(id, value) { if (window.SparkFx) SparkFx.put($(id), value); }
  function renderAccount(a) {
    if (!a) return;
    usd("account-balance", a.wallet_balance);
    if ($("account-balance")) $("account-balance").textContent += " USDT";
    tl("account-balance-try", a.wallet_balance);
    usd("account-available", a.available_balance);
    tl("account-available-try", a.available_balance);
    usd("account-margin", a.margin_balance);
    tl("account-margin-try", a.margin_balance);
    // account-upnl is cockpit.js's: it follows the mark price of every position.
    text("account-ratio", fmt(a.margin_ratio));
  }
  // Positions and open orders are drawn by cockpit.js (with their actions).
  function renderRisk(r) {
    const box = $("risk-status");
    if (!r) return;
    const cb = r.circuitBreaker || {};
    const today = r.today || {};
    box.replaceChildren();
    const badge = document.createElement("span");
    badge.className = "badge " + (cb.open ? "bad" : "ok");
    const L = box.dataset;
    badge.textContent = L.breaker + ": " + (cb.open ? L.open : L.closed);
    badge.dataset.testid = "breaker";
    box.appendChild(badge);
    const p = document.createElement("div");
    p.className = "num";
    p.textContent = L.pnl + " " + I.usd(today.pnl) + " / " + L.limit + " -" + I.usd(today.dailyLossLimit) +
      " · " + L.left + " " + I.usd(today.remainingLossBudget) + " USD";
    p.title = [today.pnl, today.dailyLossLimit, today.remainingLossBudget].join(" / ");
    box.appendChild(p);
    // The day's PnL and the budget left, in TL too.
    const inTl = document.createElement("div");
    inTl.className = "num muted";
    const pnlTl = document.createElement("span");
    pnlTl.className = "fx-try";
    pnlTl.id = "risk-pnl-try";
    const leftTl = document.createElement("span");
    leftTl.className = "fx-try";
    leftTl.id = "risk-left-try";
    inTl.append(L.pnl + " ", pnlTl, " · " + L.left + " ", leftTl);
    box.appendChild(inTl);
    tl("risk-pnl-try", today.pnl);
    tl("risk-left-try", today.remainingLossBudget);
    // Each part of the day's PnL, and which of them the limit counts (net by default).
    const parts = document.createElement("div");
    parts.className = "num muted";
    parts.dataset.testid = "pnl-parts";
    parts.textContent = L.realized + " " + fmt(today.realizedPnl) + " · " + L.commission + " " +
      fmt(today.commission) + " · " + L.funding + " " + fmt(today.funding) + " (" +
      (today.counts === "realized" ? L.countsRealized : L.countsNet) + ")";
    box.appendChild(parts);
    if (cb.open && cb.openedReason) {
      const why = document.createElement("div");
      why.className = "warn";
      why.textContent = cb.openedReason;
      box.appendChild(why);
    }
  }
  function age(s) { return s === null || s === undefined ? "—" : (s < 10 ? s.toFixed(1) : Math.round(s)) + " s"; }
  function renderStreams(s) {
    const body = $("streams-body");
    if (!s || !s.connections || !s.connections.length) return empty(body, 5, "—");
    const now = Date.now() / 1000;
    body.replaceChildren(...s.connections.map((c) => {
      const tr = document.createElement("tr");
      cell(tr, I.label(c.name)).dataset.name = c.name;
      const st = cell(tr, I.label(c.state));
      st.dataset.state = c.state;
      st.className = c.state === "up" ? "ok" : "warn";
      cell(tr, c.connected_at ? age(now - c.connected_at) : "—", "num");
      cell(tr, c.last_message_at ? age(Math.max(0, now - c.last_message_at)) : "—", "num");
      cell(tr, c.reconnects, "num");
      return tr;
    }));
  }

  // -- wiring -------------------------------------------------------------------------------
  function marketTopics() { return ["ticker:" + symbol, "depth:" + symbol]; }
  const live = SparkLive.connect(
    marketTopics().concat(["account", "risk", "streams"]),
    (msg) => {
      if (msg.type !== "snapshot" && msg.type !== "event") return;
      const d = msg.data;
      const topic = msg.topic;
      if (topic.startsWith("ticker:")) {
        if (d && d.mark) marks.set(d.symbol, d.mark);
        renderTicker(d);
      }
      else if (topic.startsWith("depth:")) renderDepth(d);
      else if (topic === "account") renderAccount(d);
      else if (topic === "risk") renderRisk(d);
      else if (topic === "streams") renderStreams(d);
    }
  );

  SparkLive.onStatus((state) => {
    const el = $("live-state");
    SparkLive.showState(el, state);
    el.className = "badge " + (state === "open" ? "ok" : state === "connecting" ? "warn" : "bad");
  });

  $("symbol").addEventListener("change", (ev) => {
    const old = marketTopics().filter((t) => t !== formTicker());
    symbol = ev.target.value;
    root.dataset.symbol = symbol;
    text("ticker-symbol", symbol);
    lastPrice = null;
    ["ticker-last", "ticker-mark", "ticker-change", "ticker-range", "ticker-volume", "ticker-funding"].forEach((id) => text(id, "—"));
    empty($("depth-body"), 4, "—");
    live.unsubscribe(old);
    live.subscribe(marketTopics());
    history.replaceState(null, "", "?symbol=" + encodeURIComponent(symbol));
  });

  // -- actions (only rendered for users allowed to use them) ---------------------------------
  function csrf() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) return input.value;
    const m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }
  async function post(path, body) {
    const r = await fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify(body || {}),
    });
    let data = null;
    try { data = await r.json(); } catch (e) { data = null; }
    return { ok: r.ok, status: r.status, data: data };
  }
  const form = $("order-form");
  // The order form may name another symbol than the page: follow its mark too, for the notional.
  function formTicker() { return form ? "ticker:" + form.elements.symbol.value : null; }
  if (form) {
    form.elements.symbol.addEventListener("change", () => live.subscribe([formTicker()]));
    // "0,008" and "1.234,5" (Turkish) as well as "0.008": the API takes plain decimals.
    const plain = (v) => {
      let t = String(v || "").trim().replace(/\s/g, "");
      if (t.includes(",")) t = t.replace(/\./g, "").replace(",", ".");
      return t;
    };
    function orderBody(side) {
      const f = new FormData(form);
      const body = {
        symbol: String(f.get("symbol") || "").trim().toUpperCase(), side: side, type: f.get("type"),
        quantity: plain(f.get("quantity")), dryRun: form.elements.dryRun.checked,
      };
      if (form.elements.reduceOnly && form.elements.reduceOnly.checked) body.reduceOnly = true;
      if (body.type === "LIMIT") {
        body.price = plain(f.get("price"));
        body.timeInForce = f.get("timeInForce") || "GTC";
      }
      if (body.type === "STOP_MARKET" || body.type === "TAKE_PROFIT_MARKET") body.stopPrice = plain(f.get("price"));
      return body;
    }
    // The live preview: notional, margin, est. liquidation, fee and every risk rule, before sending.
    const preview = $("order-preview");
    let previewTimer = null, previewSeq = 0;
    async function showPreview() {
      const body = orderBody("BUY");
      body.side = form.dataset.side || "BUY";
      if (!preview || !/^\d+(\.\d+)?$/.test(body.quantity) || (body.type !== "MARKET" && !(body.price || body.stopPrice))) {
        if (preview) preview.textContent = "";
        return;
      }
      const seq = ++previewSeq;
      const r = await post("/futures/order.preview", body);
      if (seq !== previewSeq) return; // an older answer arriving late
      const P = preview.dataset, d = r.data || {};
      if (!r.ok) {
        preview.className = "error";
        preview.textContent = (d.error && d.error.message) || ("HTTP " + r.status);
        return;
      }
      const parts = [P.notional + " ≈ " + fmt(d.notional) + " USDT", P.margin + " ≈ " + fmt(d.initialMargin) + " (" + d.leverage + "x)"];
      if (d.estLiquidationPrice) parts.push(P.liquidation + " ≈ " + fmt(d.estLiquidationPrice));
      parts.push(P.fee + " ≈ " + fmt(d.estFee));
      const problems = (d.risk && d.risk.rules || []).map((x) => x.message);
      if (d.filter) problems.push(d.filter.message);
      preview.className = problems.length ? "error" : "muted";
      preview.textContent = parts.join(" · ") + (problems.length ? " — " + problems.join(" ") : "");
      preview.dataset.allowed = problems.length ? "false" : "true";
    }
    form.addEventListener("input", () => { clearTimeout(previewTimer); previewTimer = setTimeout(showPreview, 300); });
    form.addEventListener("change", () => { clearTimeout(previewTimer); previewTimer = setTimeout(showPreview, 300); });
    form.querySelectorAll("button[name=side]").forEach((b) => b.addEventListener("mouseenter", () => {
      form.dataset.side = b.value;
    }));
    showPreview();
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const side = ev.submitter ? ev.submitter.value : "BUY";
      const body = orderBody(side);
      const out = $("order-result");
      if (body.type !== "MARKET" && !(body.price || body.stopPrice)) {
        // Said here, before anything is sent: a LIMIT (or trigger) order needs its price.
        out.className = "error";
        out.textContent = form.dataset.needsPrice;
        form.elements.price.focus();
        return;
      }
      if (body.dryRun !== true) {
        // A live order is never one click: the user confirms what, how much and where.
        const ok = await SparkLiveOrder.confirm({
          symbol: body.symbol, side: side, type: body.type, quantity: body.quantity,
          price: body.price, mark: marks.get(body.symbol),
        });
        if (!ok) {
          out.className = "muted";
          out.textContent = form.dataset.cancelled;
          return;
        }
      }
      out.textContent = "…";
      let r;
      try {
        r = await post("/futures/order.place", body);
      } catch (e) {
        r = { ok: false, status: 0, data: null };
      } finally {
        // Back to dry-run after every live order, sent or failed: the next one is asked again.
        form.elements.dryRun.checked = true;
      }
      if (r.ok) {
        const o = (r.data && (r.data.order || r.data)) || {};
        out.className = "ok";
        out.dataset.status = o.status || "";
        out.textContent = (body.dryRun ? I.label("dry-run") + " · " : "") + I.label(o.status || "NEW") + " " + (o.clientOrderId || o.client_order_id || "");
        // What the symbol's step or tick changed is said, never silent ("0,0085 → 0,008").
        const rounded = (r.data && r.data.rounded) || [];
        if (rounded.length) {
          out.textContent += " · " + form.dataset.rounded + ": " +
            rounded.map((x) => fmt(x.requested) + " → " + fmt(x.sent)).join(", ");
        }
      } else {
        out.className = "error";
        out.textContent = (r.data && r.data.error && r.data.error.message) || ("HTTP " + r.status);
      }
    });
  }
  const start = $("streams-start"), stop = $("streams-stop");
  async function control(path, body) {
    const out = $("streams-result");
    out.textContent = "…";
    const r = await post(path, body);
    out.className = r.ok ? "ok" : "error";
    out.textContent = r.ok ? I.label("ok") : ((r.data && r.data.error && r.data.error.message) || "HTTP " + r.status);
    if (r.ok) renderStreams(r.data);
  }
  if (start) start.addEventListener("click", () => control("/futures/ws.start", {
    symbols: Array.from($("symbol").options).map((o) => o.value),
  }));
  if (stop) stop.addEventListener("click", () => control("/futures/ws.stop"));
})();
