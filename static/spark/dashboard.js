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
    const DECIMAL = /^\d+(\.\d+)?$/;
    // The size in contracts (quantity), USDT (quoteQuantity) or % of the available balance
    // (balancePercent): the server turns the last two into a quantity and says how (`sized`).
    function sizeOf(body) { return body.quantity || body.quoteQuantity || body.balancePercent || ""; }
    function orderBody(side) {
      const f = new FormData(form);
      const body = {
        symbol: String(f.get("symbol") || "").trim().toUpperCase(), side: side, type: f.get("type"),
        dryRun: form.elements.dryRun.checked,
      };
      body[f.get("sizeMode") || "quantity"] = plain(f.get("quantity"));
      if (form.elements.reduceOnly && form.elements.reduceOnly.checked) body.reduceOnly = true;
      // Hedge mode only (the server's reading rendered the selector): the side this order
      // opens or closes. A one-way page has no selector and sends no side.
      if (form.elements.positionSide) body.positionSide = form.elements.positionSide.value;
      if (body.type === "LIMIT") {
        body.price = plain(f.get("price"));
        body.timeInForce = f.get("timeInForce") || "GTC";
      }
      if (body.type === "STOP_MARKET" || body.type === "TAKE_PROFIT_MARKET") body.stopPrice = plain(f.get("price"));
      // TP/SL attached to the entry: the server checks them now and puts them on the position
      // at the entry's first fill.
      ["takeProfit", "stopLoss"].forEach((n) => { const v = plain(f.get(n)); if (v) body[n] = v; });
      return body;
    }
    // The live preview: notional, margin, est. liquidation, fee and every risk rule, before
    // sending. Both sides are asked: a short's liquidation is above the entry, a long's below,
    // and which button will be pressed is not known yet (no hover on a phone).
    const preview = $("order-preview");
    const settings = $("order-settings-result");
    let previewTimer = null, previewSeq = 0;
    function sizedText(s) { // "50 USDT → 0,014 (adıma aşağı yuvarlandı 0,001)"
      if (!s) return "";
      const unit = s.from === "balancePercent" ? " %" : " USDT";
      return fmt(s.requested) + unit + " → " + fmt(s.quantity) + " (" + preview.dataset.sized + " " + fmt(s.step) + ")";
    }
    function syncSettings(d) { // the symbol's leverage and margin type, unless being edited
      const lev = form.elements.leverage, mt = form.elements.marginType;
      if (lev && !lev.dataset.touched && d.leverage) lev.value = d.leverage;
      if (mt && !mt.dataset.touched && d.marginType) mt.value = d.marginType === "isolated" ? "ISOLATED" : "CROSSED";
    }
    async function previewOf(body) {
      const r = await post("/futures/order.preview", body);
      return r;
    }
    async function showPreview() {
      const body = orderBody("BUY");
      if (!preview || !DECIMAL.test(sizeOf(body)) || (body.type !== "MARKET" && !(body.price || body.stopPrice))) {
        if (preview) { preview.textContent = ""; delete preview.dataset.quantity; }
        return;
      }
      const seq = ++previewSeq;
      const [buy, sell] = await Promise.all([previewOf(body), previewOf(Object.assign({}, body, { side: "SELL" }))]);
      if (seq !== previewSeq) return; // an older answer arriving late
      const P = preview.dataset, d = buy.data || {}, s = sell.data || {};
      if (!buy.ok || !sell.ok) {
        const bad = !buy.ok ? buy : sell;
        const e = (bad.data && bad.data.error) || {};
        preview.className = "error";
        preview.textContent = e.message || ("HTTP " + bad.status);
        preview.dataset.allowed = "false";
        delete preview.dataset.quantity;
        return;
      }
      syncSettings(d);
      const parts = [];
      if (d.sized) parts.push(sizedText(d.sized));
      parts.push(P.notional + " ≈ " + fmt(d.notional) + " USDT", P.margin + " ≈ " + fmt(d.initialMargin) + " (" + d.leverage + "x)");
      if (d.estLiquidationPrice || s.estLiquidationPrice) {
        parts.push(P.liquidation + ": " + P.long + " ≈ " + fmt(d.estLiquidationPrice) + " · " + P.short + " ≈ " + fmt(s.estLiquidationPrice));
      }
      parts.push(P.fee + " ≈ " + fmt(d.estFee));
      const said = (x) => (x.risk && x.risk.rules || []).map((r) => r.message).concat(x.filter ? [x.filter.message] : []);
      const longs = said(d), shorts = said(s);
      const problems = longs.filter((m) => shorts.includes(m))
        .concat(longs.filter((m) => !shorts.includes(m)).map((m) => P.long + ": " + m))
        .concat(shorts.filter((m) => !longs.includes(m)).map((m) => P.short + ": " + m));
      preview.className = problems.length ? "error" : "muted";
      preview.textContent = parts.join(" · ") + (problems.length ? " — " + problems.join(" ") : "");
      preview.dataset.allowed = problems.length ? "false" : "true";
      preview.dataset.quantity = d.quantity;
      preview.dataset.liqLong = d.estLiquidationPrice || "";
      preview.dataset.liqShort = s.estLiquidationPrice || "";
    }
    // Leverage and margin type of the form's symbol, through POST /futures/leverage and
    // /futures/marginType (the same permission, audit and errors as the API).
    const apply = $("order-settings-apply");
    if (apply) {
      ["leverage", "marginType"].forEach((n) => form.elements[n].addEventListener("input", (ev) => { ev.target.dataset.touched = "1"; }));
      apply.addEventListener("click", async () => {
        const symbol = String(form.elements.symbol.value || "").trim().toUpperCase();
        const S = settings.dataset, done = [];
        settings.className = "muted";
        settings.textContent = "…";
        const lev = String(form.elements.leverage.value || "").trim();
        const r1 = await post("/futures/leverage", { symbol: symbol, leverage: /^\d+$/.test(lev) ? Number(lev) : lev });
        if (!r1.ok) {
          settings.className = "error";
          settings.textContent = (r1.data && r1.data.error && r1.data.error.message) || ("HTTP " + r1.status);
          return;
        }
        done.push(S.leverage + " " + r1.data.leverage + "x");
        const mt = form.elements.marginType.value;
        const r2 = await post("/futures/marginType", { symbol: symbol, marginType: mt });
        if (!r2.ok) {
          settings.className = "error";
          settings.textContent = done.join(" · ") + " — " + ((r2.data && r2.data.error && r2.data.error.message) || ("HTTP " + r2.status));
          return;
        }
        done.push(S.marginType + " " + (mt === "ISOLATED" ? S.isolated : S.cross));
        settings.className = "ok";
        settings.textContent = done.join(" · ");
        delete form.elements.leverage.dataset.touched;
        delete form.elements.marginType.dataset.touched;
        showPreview();
      });
    }
    // Hedge mode: the buttons and the hint say whether each opens or closes the chosen side.
    function showSide() {
      if (!form.elements.positionSide) return;
      const which = form.elements.positionSide.value === "SHORT" ? "short" : "long";
      form.querySelectorAll("button[name=side], #order-side-hint").forEach((el) => { el.textContent = el.dataset[which]; });
    }
    if (form.elements.positionSide) {
      form.querySelectorAll("input[name=positionSide]").forEach((r) => r.addEventListener("change", showSide));
      showSide();
    }
    form.addEventListener("input", () => { clearTimeout(previewTimer); previewTimer = setTimeout(showPreview, 300); });
    form.addEventListener("change", () => { clearTimeout(previewTimer); previewTimer = setTimeout(showPreview, 300); });
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
      if (body.dryRun !== true && !body.quantity) {
        // A size in USDT or % is turned into a quantity first, and that quantity is what is
        // confirmed and sent: the price cannot move it between the confirmation and the order.
        const p = await post("/futures/order.preview", body);
        if (!p.ok) {
          out.className = "error";
          out.textContent = (p.data && p.data.error && p.data.error.message) || ("HTTP " + p.status);
          return;
        }
        delete body.quoteQuantity;
        delete body.balancePercent;
        body.quantity = p.data.quantity;
      }
      if (body.dryRun !== true) {
        // A live order is never one click: the user confirms what, how much and where.
        const ok = await SparkLiveOrder.confirm({
          symbol: body.symbol, side: side, type: body.type, quantity: body.quantity,
          positionSide: body.positionSide,
          price: body.price, mark: marks.get(body.symbol),
          takeProfit: body.takeProfit, stopLoss: body.stopLoss,
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
        if (r.data && r.data.sized) out.textContent += " · " + sizedText(r.data.sized);
        const prot = r.data && r.data.protection;
        if (prot) {
          out.dataset.protection = prot.state;
          out.textContent += " · " + form.dataset.protection + ": " + I.label("attach:" + prot.state);
        } else {
          delete out.dataset.protection;
        }
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
