/* The cockpit on the dashboard: positions and open orders, live, with their actions.
 *
 * Each position row follows the mark price stream of its symbol (ticker:<SYMBOL>): uPnL and
 * ROE % are computed from the mark, never from the last fill, with exact decimals (BigInt). The
 * account card's uPnL is the sum of those rows, so it is 0 the moment the last position closes.
 * A position change from the user stream (which carries no liquidation price, leverage or
 * account totals) is followed by one REST read of /futures/positions and /futures/account.
 * Every action goes through the futures API; a live one asks the shared confirmation first
 * (static/spark/live-order.js). Strings come from the template's data-* attributes.
 *
 * Hedge mode: one row per symbol and side (LONG / SHORT, keyed so that an update of one side never
 * overwrites the other), each with a side badge, and every action of a row sends that row's
 * positionSide. The side is the row's own (the exchange's truth, as stored and broadcast), so a
 * page rendered before a mode reading still acts on the right side. One-way rows (BOTH): no side
 * shown or sent, as before.
 */
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const root = $("cockpit");
  if (!root || !window.SparkLive) return;
  const L = root.dataset;
  const canTrade = L.canTrade === "1";
  const fmt = SparkLive.number;
  const positions = new Map(); // symbol|positionSide -> position payload
  const marks = new Map(); // symbol -> mark price string
  const orders = new Map(); // client_order_id -> order payload
  let editing = null; // the client order id being edited in place

  // -- exact decimals -------------------------------------------------------------------------
  function dec(s) {
    const m = /^\s*(-?)(\d+)(?:\.(\d+))?\s*$/.exec(s === null || s === undefined ? "" : String(s));
    if (!m) return null;
    const frac = m[3] || "";
    const d = BigInt(m[2] + frac);
    return { d: m[1] ? -d : d, s: frac.length };
  }
  function scaled(x, s) { return x.d * 10n ** BigInt(s - x.s); }
  function sub(a, b) { const s = Math.max(a.s, b.s); return { d: scaled(a, s) - scaled(b, s), s: s }; }
  function add(a, b) { const s = Math.max(a.s, b.s); return { d: scaled(a, s) + scaled(b, s), s: s }; }
  function mul(a, b) { return { d: a.d * b.d, s: a.s + b.s }; }
  function text(x) {
    const neg = x.d < 0n;
    let s = (neg ? -x.d : x.d).toString().padStart(x.s + 1, "0");
    if (x.s) s = s.slice(0, s.length - x.s) + "." + s.slice(s.length - x.s);
    if (x.s) s = s.replace(/0+$/, "").replace(/\.$/, "");
    return (neg && s !== "0" ? "-" : "") + s;
  }
  function round(x, places) { // half away from zero
    if (x.s <= places) return x;
    const f = 10n ** BigInt(x.s - places);
    const neg = x.d < 0n;
    const q = ((neg ? -x.d : x.d) + f / 2n) / f;
    return { d: neg ? -q : q, s: places };
  }
  const ZERO = { d: 0n, s: 0 };
  function usd(x) { return x === null ? "—" : fmt(text(round(x, 2))); }

  // -- helpers -------------------------------------------------------------------------------
  function cell(tr, value, cls, col) {
    const td = document.createElement("td");
    td.textContent = value === null || value === undefined || value === "" ? "—" : value;
    if (cls) td.className = cls;
    if (col) td.dataset.col = col;
    tr.appendChild(td);
    return td;
  }
  function button(label, testid, onClick, cls) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    b.dataset.testid = testid;
    if (cls) b.className = cls;
    b.addEventListener("click", onClick);
    return b;
  }
  function empty(tbody, cols) {
    const tr = document.createElement("tr");
    const td = cell(tr, tbody.dataset.empty, "muted");
    td.colSpan = cols;
    tbody.replaceChildren(tr);
  }
  function csrf() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) return input.value;
    const m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }
  async function call(method, path, body) {
    let r;
    try {
      r = await fetch(path, {
        method: method,
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      return { ok: false, status: 0, data: null };
    }
    let data = null;
    try { data = await r.json(); } catch (e) { data = null; }
    return { ok: r.ok, status: r.status, data: data };
  }
  // "0,008" and "1.234,5" (Turkish) as well as "0.008": the API takes a plain decimal string.
  function plain(value) {
    let s = String(value || "").trim().replace(/\s/g, "");
    if (!s) return null;
    if (s.includes(",")) s = s.replace(/\./g, "").replace(",", ".");
    return s;
  }
  const result = $("cockpit-result");
  function say(ok, message) {
    result.className = ok ? "ok" : "error";
    result.textContent = message;
  }
  function errorOf(r) {
    return (r.data && r.data.error && r.data.error.message) || ("HTTP " + r.status);
  }
  function roundedText(list) {
    return (list || []).map((x) => L.rounded + ": " + fmt(x.requested) + " → " + fmt(x.sent)).join(" · ");
  }

  // -- positions ------------------------------------------------------------------------------
  function sideOf(x) { return x.positionSide || "BOTH"; }
  function sided(x) { return sideOf(x) !== "BOTH"; } // a hedge-mode row or order: LONG or SHORT
  function keyOf(p) { return p.symbol + "|" + sideOf(p); }
  // Test ids name the side only in hedge mode (a one-way row keeps "close-ETHUSDT").
  function idOf(p) { return sided(p) ? p.symbol + "-" + sideOf(p) : p.symbol; }
  function sideBadge(side) {
    const span = document.createElement("span");
    span.className = "badge " + (side === "LONG" ? "up" : "down");
    span.dataset.testid = "side-badge";
    span.dataset.positionSide = side;
    span.textContent = side === "LONG" ? L.long : L.short;
    return span;
  }
  function live(p) {
    const amt = dec(p.position_amt), entry = dec(p.entry_price);
    const mark = dec(marks.get(p.symbol) || p.mark_price);
    if (!amt || !entry || !mark || mark.d === 0n) return { mark: mark, upnl: dec(p.unrealized_pnl), roe: null };
    const upnl = mul(amt, sub(mark, entry));
    const notional = mul(amt.d < 0n ? { d: -amt.d, s: amt.s } : amt, mark);
    // Binance's ROE: uPnL over the initial margin (isolated: the position's own margin).
    const iso = p.margin_type === "isolated" ? dec(p.isolated_margin) : null;
    const im = iso && iso.d !== 0n ? Number(text(iso)) : Number(text(notional)) / (p.leverage || 1);
    const roe = im ? (Number(text(upnl)) / im) * 100 : null;
    return { mark: mark, upnl: upnl, roe: roe, margin: im };
  }
  function signature(p) {
    const prot = protections(p).map((o) => [o.client_order_id, o.stop_price, o.callback_rate]);
    return JSON.stringify([p.symbol, sideOf(p), p.position_amt, p.entry_price, p.liquidation_price, p.margin_type,
      p.leverage, p.isolated_margin, prot]);
  }
  function marginText(p, v) {
    return (v.margin ? fmt(v.margin.toFixed(2)) : "—") + " (" + (p.margin_type === "isolated" ? L.isolated : L.cross) + ")";
  }
  function upnlCell(td, v) {
    td.textContent = v.upnl ? usd(v.upnl) + (v.roe === null ? "" : " (" + fmt(v.roe.toFixed(2)) + "%)") : "—";
    td.className = "num " + (v.upnl && v.upnl.d < 0n ? "down" : "up");
    if (v.upnl) { td.dataset.value = text(v.upnl); td.title = text(v.upnl); }
    if (window.SparkFx) { // the TL on a second, small line: the row stays as wide at 390 px
      const tl = document.createElement("div");
      tl.className = "muted fx-try small";
      tl.dataset.col = "upnl-try";
      td.appendChild(tl);
      SparkFx.put(tl, v.upnl ? text(v.upnl) : null);
    }
  }
  function protections(p) { // the TP/SL and trailing orders of this row (its side in hedge mode)
    const out = [];
    orders.forEach((o) => {
      if (o.is_open && o.symbol === p.symbol && sideOf(o) === sideOf(p) &&
        (o.close_position || o.type === "TRAILING_STOP_MARKET")) out.push(o);
    });
    return out;
  }
  function renderPositions() {
    const body = $("positions-body");
    const open = Array.from(positions.values()).filter((p) => { const a = dec(p.position_amt); return a && a.d !== 0n; });
    let total = ZERO;
    open.forEach((p) => { const v = live(p); if (v.upnl) total = add(total, v.upnl); });
    const sigs = open.map(signature);
    const shown = Array.from(body.querySelectorAll("tr[data-sig]")).map((tr) => tr.dataset.sig);
    if (open.length && sigs.join("|") === shown.join("|")) {
      // Only the mark moved: update the figures in place, so a button being clicked stays.
      open.forEach((p) => {
        const tr = body.querySelector("tr[data-key='" + keyOf(p) + "']");
        const v = live(p);
        tr.querySelector("[data-col=mark]").textContent = v.mark ? fmt(text(v.mark)) : "—";
        tr.querySelector("[data-col=margin]").textContent = marginText(p, v);
        upnlCell(tr.querySelector("[data-col=upnl]"), v);
      });
    } else if (!open.length) {
      empty(body, canTrade ? 11 : 10);
    } else {
      body.replaceChildren(...open.map((p, i) => {
        const v = live(p);
        const long = sided(p) ? sideOf(p) === "LONG" : dec(p.position_amt).d > 0n;
        const tr = document.createElement("tr");
        tr.dataset.symbol = p.symbol;
        tr.dataset.key = keyOf(p);
        tr.dataset.positionSide = sideOf(p);
        tr.dataset.testid = "position-" + idOf(p);
        tr.dataset.sig = sigs[i];
        cell(tr, p.symbol, null, "symbol");
        const sideCell = cell(tr, long ? L.long : L.short, long ? "up" : "down", "side");
        if (sided(p)) sideCell.replaceChildren(sideBadge(sideOf(p)));
        const size = cell(tr, fmt(p.position_amt.replace("-", "")), "num", "size");
        size.dataset.value = p.position_amt;
        cell(tr, fmt(p.entry_price), "num", "entry");
        cell(tr, v.mark ? fmt(text(v.mark)) : "—", "num", "mark");
        cell(tr, dec(p.liquidation_price) && dec(p.liquidation_price).d !== 0n ? fmt(p.liquidation_price) : "—", "num", "liq");
        cell(tr, marginText(p, v), "num", "margin");
        cell(tr, p.leverage ? p.leverage + "x" : "—", "num", "leverage");
        upnlCell(cell(tr, "", "num", "upnl"), v);
        const prot = cell(tr, "", null, "protect");
        prot.replaceChildren();
        protections(p).forEach((o) => {
          const span = document.createElement("span");
          span.className = "badge";
          span.dataset.testid = "protect-" + o.client_order_id;
          const label = o.type === "TRAILING_STOP_MARKET" ? L.trail + " " + fmt(o.callback_rate) + "%"
            : (o.type === "TAKE_PROFIT_MARKET" ? "TP " : "SL ") + fmt(o.stop_price);
          span.textContent = label + (o.dry_run ? " · " + L.dry : "") + " ";
          if (canTrade) span.appendChild(button("×", "protect-cancel-" + o.client_order_id, () => cancelOrder(o), "link"));
          prot.appendChild(span);
        });
        if (!prot.childNodes.length) prot.textContent = "—";
        if (canTrade) {
          const td = document.createElement("td");
          const box = document.createElement("div");
          box.className = "cockpit-actions";
          box.append(
            button(L.close, "close-" + idOf(p), () => act("close", p), "sell"),
            button(L.protect, "protect-" + idOf(p), () => act("protect", p)),
            button(L.trail, "trail-" + idOf(p), () => act("trailing", p)),
          );
          if (p.margin_type === "isolated") box.append(button(L.margin, "margin-" + idOf(p), () => act("margin", p)));
          td.appendChild(box);
          tr.appendChild(td);
        }
        return tr;
      }));
    }
    const card = $("account-upnl");
    if (card) {
      card.textContent = usd(total);
      card.dataset.value = text(total);
      if (window.SparkFx) SparkFx.put($("account-upnl-try"), text(total)); // and in TL
    }
    follow(open.map((p) => p.symbol));
  }

  // -- open orders ----------------------------------------------------------------------------
  function statusText(s) { return L["status" + s.toLowerCase().replace(/(^|_)(\w)/g, (m, a, b) => b.toUpperCase())] || s; }
  function renderOrders() {
    if (editing) return; // redrawn when the edit ends
    const body = $("orders-body");
    const open = Array.from(orders.values()).filter((o) => o.is_open);
    if (!open.length) return empty(body, canTrade ? 7 : 6);
    body.replaceChildren(...open.map((o) => {
      const tr = document.createElement("tr");
      tr.dataset.cid = o.client_order_id;
      tr.dataset.testid = "order-" + o.client_order_id;
      cell(tr, o.symbol, null, "symbol");
      const side = cell(tr, o.side === "BUY" ? L.buy : L.sell, o.side === "BUY" ? "up" : "down", "side");
      if (sided(o)) side.append(" ", sideBadge(sideOf(o))); // which side it works on
      cell(tr, o.type + (o.dry_run ? " · " + L.dry : ""), null, "type");
      cell(tr, o.close_position ? L.closePosition : fmt(o.filled_qty) + " / " + fmt(o.quantity), "num", "qty");
      const price = o.type === "TRAILING_STOP_MARKET"
        ? L.callback + " " + fmt(o.callback_rate) + "%" + (o.activation_price ? " @ " + fmt(o.activation_price) : "")
        : o.stop_price ? L.trigger + " " + fmt(o.stop_price) : fmt(o.price);
      cell(tr, price, "num", "price");
      cell(tr, statusText(o.status), null, "status");
      if (canTrade) {
        const td = document.createElement("td");
        const box = document.createElement("div");
        box.className = "cockpit-actions";
        if (o.type === "LIMIT" && !o.is_algo) box.append(button(L.edit, "edit-" + o.client_order_id, () => edit(tr, o)));
        box.append(button(L.cancelOrder, "cancel-" + o.client_order_id, () => cancelOrder(o), "sell"));
        td.appendChild(box);
        tr.appendChild(td);
      }
      return tr;
    }));
  }
  function edit(tr, o) {
    editing = o.client_order_id;
    const qty = tr.querySelector("[data-col=qty]"), price = tr.querySelector("[data-col=price]");
    const q = document.createElement("input"), p = document.createElement("input");
    q.className = p.className = "inline";
    q.inputMode = p.inputMode = "decimal";
    q.value = fmt(o.quantity); p.value = fmt(o.price);
    q.dataset.testid = "edit-qty"; p.dataset.testid = "edit-price";
    qty.replaceChildren(q); price.replaceChildren(p);
    const box = tr.querySelector(".cockpit-actions");
    box.replaceChildren(
      button(L.save, "save-" + o.client_order_id, async () => {
        const body = { symbol: o.symbol, clientOrderId: o.client_order_id };
        const np = plain(p.value), nq = plain(q.value);
        if (np !== o.price) body.price = np;
        if (nq !== o.quantity) body.quantity = nq;
        const r = await call("POST", "/futures/order.modify", body);
        editing = null;
        if (r.ok) {
          orders.set(o.client_order_id, Object.assign({}, o, { price: r.data.order.price, quantity: r.data.order.quantity }));
          say(true, L.done + ": " + o.client_order_id + " " + fmt(r.data.old.price) + " → " + fmt(r.data.new.price) +
            " · " + fmt(r.data.old.quantity) + " → " + fmt(r.data.new.quantity) + (r.data.rounded.length ? " · " + roundedText(r.data.rounded) : ""));
        } else {
          say(false, errorOf(r));
        }
        renderOrders();
      }, "primary"),
      button(L.cancel, "unedit-" + o.client_order_id, () => { editing = null; renderOrders(); }),
    );
  }
  async function cancelOrder(o) {
    const r = await call("POST", "/futures/order.cancel", { symbol: o.symbol, clientOrderId: o.client_order_id });
    if (r.ok) {
      orders.set(o.client_order_id, Object.assign({}, o, { status: r.data.order.status, is_open: false }));
      say(true, L.done + ": " + o.client_order_id + " " + statusText(r.data.order.status));
    } else {
      say(false, errorOf(r));
    }
    renderOrders();
    renderPositions();
  }
  async function cancelAll(body) {
    const r = await call("POST", "/futures/order.cancelAll", body);
    if (!r.ok) return say(false, errorOf(r));
    r.data.cancelled.forEach((c) => {
      const o = orders.get(c.clientOrderId);
      if (o) orders.set(c.clientOrderId, Object.assign({}, o, { status: c.status, is_open: false }));
    });
    say(true, L.done + ": " + (r.data.cancelled.map((c) => c.clientOrderId).join(", ") || "0"));
    renderOrders();
    renderPositions();
  }
  if (canTrade) {
    $("cancel-symbol").addEventListener("click", () => cancelAll({ symbol: $("dashboard").dataset.symbol }));
    $("cancel-everything").addEventListener("click", () => cancelAll({ allSymbols: true }));
  }

  // -- position actions -----------------------------------------------------------------------
  const dialog = $("cockpit-dialog");
  function ask(kind, p) {
    const form = dialog.querySelector("form");
    form.reset();
    form.elements.symbol.value = p.symbol;
    dialog.querySelector("#cockpit-title").textContent = dialog.dataset["title" + kind[0].toUpperCase() + kind.slice(1)] + " · " + p.symbol +
      (sided(p) ? " · " + (sideOf(p) === "LONG" ? L.long : L.short) : "");
    dialog.querySelectorAll("[data-for]").forEach((el) => { el.hidden = !el.dataset.for.split(" ").includes(kind); });
    const prot = protections(p);
    const tp = prot.find((o) => o.type === "TAKE_PROFIT_MARKET"), sl = prot.find((o) => o.type === "STOP_MARKET");
    if (tp) form.elements.takeProfit.value = fmt(tp.stop_price);
    if (sl) form.elements.stopLoss.value = fmt(sl.stop_price);
    form.elements.quantity.placeholder = fmt(p.position_amt.replace("-", ""));
    dialog.returnValue = "";
    return new Promise((resolve) => {
      dialog.addEventListener("close", () => resolve(dialog.returnValue === "send" ? new FormData(form) : null), { once: true });
      dialog.showModal();
      const first = dialog.querySelector("[data-for]:not([hidden]) input");
      if (first) first.focus();
    });
  }
  async function act(kind, p) {
    const f = await ask(kind, p);
    if (!f) return;
    const long = sided(p) ? sideOf(p) === "LONG" : dec(p.position_amt).d > 0n;
    const dry = kind !== "margin" && dialog.querySelector("[name=dryRun]").checked;
    let path, body = { symbol: p.symbol };
    if (kind === "close") {
      path = "/futures/position.close";
      if (plain(f.get("quantity"))) body.quantity = plain(f.get("quantity"));
    } else if (kind === "protect") {
      path = "/futures/position.protect";
      if (plain(f.get("takeProfit"))) body.takeProfit = plain(f.get("takeProfit"));
      if (plain(f.get("stopLoss"))) body.stopLoss = plain(f.get("stopLoss"));
    } else if (kind === "trailing") {
      path = "/futures/order.trailing";
      body.callbackRate = plain(f.get("callbackRate"));
      if (plain(f.get("activationPrice"))) body.activationPrice = plain(f.get("activationPrice"));
    } else {
      path = "/futures/positionMargin";
      body.amount = plain(f.get("amount"));
      body.type = f.get("marginType");
    }
    // Hedge mode: the action is on this row's side only (the other side of the symbol stays).
    if (sided(p)) body.positionSide = sideOf(p);
    if (kind !== "margin") {
      body.dryRun = dry;
      if (!dry) {
        // A live order is never one click: the shared confirmation names what is sent.
        const ok = await SparkLiveOrder.confirm({
          symbol: p.symbol, side: long ? "SELL" : "BUY", type: "MARKET",
          positionSide: sided(p) ? sideOf(p) : undefined,
          quantity: body.quantity || p.position_amt.replace("-", ""), mark: marks.get(p.symbol) || p.mark_price,
        });
        if (!ok) return say(true, L.nothing);
      }
    }
    say(true, "…");
    const r = await call("POST", path, body);
    if (!r.ok) return say(false, errorOf(r));
    const d = r.data;
    const placed = d.placed || (d.order ? [d] : []);
    placed.forEach((x) => orders.set(x.order.clientOrderId, fromApi(x.order)));
    const parts = placed.map((x) => (x.dryRun ? L.dry + " " : "") + x.order.type + " " + statusText(x.order.status) + (x.rounded && x.rounded.length ? " · " + roundedText(x.rounded) : ""));
    if (d.replaced && d.replaced.length) parts.push(L.replaced + ": " + d.replaced.map((o) => o.clientOrderId).join(", "));
    if (kind === "margin") parts.push(fmt(d.amount) + " USDT → " + fmt(d.isolatedMargin));
    say(true, L.done + ": " + parts.join(" · "));
    (d.replaced || []).forEach((o) => orders.set(o.clientOrderId, fromApi(o)));
    renderOrders();
    renderPositions();
    refresh();
  }
  function fromApi(o) { // the API's order shape -> the live topic's
    return {
      client_order_id: o.clientOrderId, symbol: o.symbol, side: o.side, type: o.type, status: o.status,
      quantity: o.quantity, price: o.price, stop_price: o.stopPrice, filled_qty: o.filledQty,
      dry_run: o.dryRun, is_algo: o.isAlgo, close_position: o.closePosition, callback_rate: o.callbackRate,
      activation_price: o.activationPrice, positionSide: o.positionSide,
      is_open: ["PENDING_SUBMIT", "NEW", "PARTIALLY_FILLED", "UNKNOWN"].includes(o.status),
    };
  }

  // -- the truth after a change: one REST read of positions and account ------------------------
  let pending = null;
  function refresh() {
    clearTimeout(pending);
    pending = setTimeout(() => { call("GET", "/futures/positions"); call("GET", "/futures/account"); }, 250);
  }

  // -- live wiring ----------------------------------------------------------------------------
  let followed = new Set();
  const liveSub = SparkLive.connect(["positions", "orders"], (msg) => {
    if (msg.type !== "snapshot" && msg.type !== "event") return;
    const d = msg.data, topic = msg.topic;
    if (topic === "positions" && d) {
      if (msg.type === "snapshot") positions.clear();
      let fromStream = false;
      (d.positions || []).forEach((p) => { positions.set(keyOf(p), p); if (p.source === "ws") fromStream = true; });
      renderPositions();
      if (fromStream && msg.type === "event") refresh();
    } else if (topic === "orders" && d) {
      if (msg.type === "snapshot") orders.clear();
      (d.open || []).concat(d.order ? [d.order] : []).forEach((o) => orders.set(o.client_order_id, o));
      renderOrders();
      renderPositions();
    } else if (topic.startsWith("ticker:") && d && d.mark) {
      marks.set(d.symbol, d.mark);
      if (Array.from(positions.values()).some((p) => p.symbol === d.symbol)) renderPositions();
    }
  });
  function follow(symbols) {
    const want = new Set(symbols.map((s) => "ticker:" + s));
    const more = [...want].filter((t) => !followed.has(t));
    const less = [...followed].filter((t) => !want.has(t));
    if (more.length) liveSub.subscribe(more);
    if (less.length) liveSub.unsubscribe(less);
    followed = want;
  }
  $("positions-body").dataset.empty = $("positions-body").textContent.trim();
  $("orders-body").dataset.empty = $("orders-body").textContent.trim();
})();
