/* The copilot page (/copilot-home): chat, action review, Run through the normal API, live panels.
 *
 * The copilot only proposes an action ({method, path, body}); pressing Run sends that request
 * to the API with this session's CSRF token, so permissions, the risk gate and the audit log
 * apply exactly as for any other client. No framework, no build step.
 */
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const root = $("copilot");
  if (!root) return;
  const T = JSON.parse($("copilot-i18n").textContent);
  const page = JSON.parse($("copilot-page").textContent);
  const history = JSON.parse($("copilot-history").textContent);
  const perms = new Set(page.permissions || []);
  const log = $("chat-log");
  const form = $("chat-form");
  const input = $("chat-prompt");

  // live state, also sent to the copilot as `context` (see copilot/parser.py PageContext)
  const live = { risk: null, streams: null, positions: [], orders: { open: [], recent: [] },
                 account: null, lastCanaryRunId: null };

  function csrf() {
    const m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    const el = form.querySelector("[name=csrfmiddlewaretoken]");
    return el ? el.value : "";
  }

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => {
      if (k === "class") node.className = v; else node.setAttribute(k, v);
    });
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  async function call(method, path, body) {
    const opts = { method: method, credentials: "same-origin",
                   headers: { "Accept": "application/json" } };
    if (method !== "GET") {
      opts.headers["Content-Type"] = "application/json";
      opts.headers["X-CSRFToken"] = csrf();
      opts.body = JSON.stringify(body || {});
    }
    const res = await fetch(path, opts);
    const type = res.headers.get("Content-Type") || "";
    const data = type.indexOf("json") >= 0 ? await res.json() : await res.text();
    return { status: res.status, ok: res.ok, data: data };
  }

  // ------------------------------------------------------------------ context from live state
  function streamsStale() {
    const s = live.streams;
    if (!s) return false;
    if (!s.running) return true;
    return (s.connections || []).some((c) => c.state !== "up" ||
      (c.last_message_age_seconds !== undefined && c.last_message_age_seconds > 30));
  }
  function breakerOpen() {
    return !!(live.risk && live.risk.circuitBreaker && live.risk.circuitBreaker.open);
  }
  function rejectRate() {
    const recent = (live.orders.recent || []).concat(live.orders.open || []);
    if (recent.length < 4) return null;
    return recent.filter((o) => o.status === "REJECTED").length / recent.length;
  }
  function context() {
    // no `symbol`: this page has no symbol selector, so commands name theirs (or get defaults)
    const ctx = { lang: document.documentElement.lang || "tr",
                  breakerOpen: breakerOpen(), streamsStale: streamsStale(),
                  positions: live.positions.map((p) => ({ symbol: p.symbol,
                                                          positionAmt: p.position_amt })) };
    const rate = rejectRate();
    if (rate !== null) ctx.rejectRate = rate;
    if (live.lastCanaryRunId) ctx.lastCanaryRunId = live.lastCanaryRunId;
    return ctx;
  }

  // ------------------------------------------------------------------ chat
  const LOCALE = document.documentElement.lang === "en" ? "en-US" : "tr-TR";
  const NUMBER = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 8 });
  function num(value) {
    // decimal text from the API ("0.02", "3300"), shown as the user reads it: 0,02 · 3.300
    if (value === null || value === undefined || value === "") return "—";
    const n = Number(value);
    return Number.isFinite(n) ? NUMBER.format(n) : String(value);
  }
  // What the action will do, one row a field, as the confirmation lists it (no raw JSON needed).
  function confirmRows(body) {
    const b = body || {};
    const rows = [];
    const add = (label, value) => { if (value !== undefined && value !== null) rows.push([label, value]); };
    add(T.symbol, b.symbol);
    if (b.side) add(T.side, b.side === "BUY" ? T.buy : T.sell);
    // hedge mode: the position the action opens or closes (Uzun/Kısa), never left to guess
    if (b.positionSide === "LONG" || b.positionSide === "SHORT") {
      add(T.positionSide, b.positionSide === "LONG" ? T.sideLong : T.sideShort);
    }
    if (b.type) add(T.orderType, (T.types || {})[b.type] || b.type);
    if (b.quantity !== undefined) add(T.quantity, num(b.quantity));
    if (b.price !== undefined) add(T.price, num(b.price));
    if (b.stopPrice !== undefined) add(T.trigger, num(b.stopPrice));
    if (b.stopLoss !== undefined) add(T.slTrigger, num(b.stopLoss));
    if (b.takeProfit !== undefined) add(T.tpTrigger, num(b.takeProfit));
    // a TP/SL on the position carries no size: it closes whatever is held when it fires
    if (b.stopLoss !== undefined || b.takeProfit !== undefined) add(T.closes, T.wholePosition);
    if (b.callbackRate !== undefined) add(T.callbackRate, "%" + num(b.callbackRate));
    if (b.activationPrice !== undefined) add(T.activationPrice, num(b.activationPrice));
    if (b.reduceOnly) add(T.reduceOnly, T.yes);
    if (b.leverage !== undefined) add(T.leverage, b.leverage + "x");
    if (b.marginType) add(T.marginType, b.marginType === "ISOLATED" ? T.isolated : T.crossed);
    if (b.runId !== undefined) add(T.runId, b.runId);
    if (b.orderId !== undefined) add(T.orderId, b.orderId);
    if (b.dryRun !== undefined) add(T.mode, b.dryRun ? T.dryRun : T.live);
    return rows;
  }
  function permissionOf(action) {
    const path = action.path.split("?")[0]; // a GET's query rides in its path
    return (page.actionPermissions || {})[action.method + " " + path] || "";
  }

  function renderTurn(prompt, answer) {
    const li = el("li", { class: "stack turn", "data-testid": "turn" });
    li.appendChild(el("div", { class: "prompt" }, T.you + ": " + prompt));
    const reply = el("div", { class: "reply", "data-testid": "reply" }, T.copilot + ": " + answer.reply);
    li.appendChild(reply);
    const meta = el("div", { class: "row wrap" });
    meta.appendChild(el("span", { class: "badge", "data-testid": "intent", "data-intent": answer.intent },
                        (T.intents || {})[answer.intent] || answer.intent));
    if (answer.confirm_required) meta.appendChild(el("span", { class: "badge warn" }, T.needsConfirm));
    li.appendChild(meta);
    const action = answer.action;
    const rows = action.method === "POST" ? confirmRows(action.body) : [];
    if (rows.length) {
      const dl = el("dl", { class: "kv confirm-list", "data-testid": "confirm-list" });
      rows.forEach(([k, v]) => { dl.appendChild(el("dt", {}, k)); dl.appendChild(el("dd", {}, String(v))); });
      li.appendChild(dl);
    }
    if ((answer.choices || []).length) {
      const choices = el("div", { class: "row wrap", role: "group", "data-testid": "choices",
                                  "aria-label": T.choose });
      answer.choices.forEach((c) => {
        const b = el("button", { type: "button", class: "choice", "data-testid": "choice" }, c.label);
        b.addEventListener("click", () => send(c.prompt));
        choices.appendChild(b);
      });
      li.appendChild(choices);
    }
    // the stable codes, small and muted, for who needs them (support, the API guide)
    li.appendChild(el("p", { class: "muted reason", "data-testid": "action-code" },
                      answer.intent + " · " + action.method + " " + action.path));
    // the action as JSON only when asked for (folded; the API client's view of it)
    li.appendChild(jsonDetails("action-json", action));
    const row = el("div", { class: "row wrap" });
    const run = el("button", { type: "button", class: "primary", "data-testid": "run-action" }, T.run);
    const need = permissionOf(action);
    if (answer.needsEndpoint) {
      run.disabled = true;
      row.appendChild(run);
      row.appendChild(el("span", { class: "muted reason", "data-testid": "run-disabled-reason" },
                         T.needsEndpoint));
    } else if (need && !perms.has(need)) {
      run.disabled = true;
      row.appendChild(run);
      row.appendChild(el("span", { class: "muted reason", "data-testid": "run-disabled-reason" },
                         T.noPermission + " " + need + "."));
    } else {
      row.appendChild(run);
    }
    (answer.suggestions || []).forEach((s) => {
      const b = el("button", { type: "button", class: "link suggestion" }, s);
      b.addEventListener("click", () => send(s));
      row.appendChild(b);
    });
    li.appendChild(row);
    if (isLiveOrder(action)) watchMark(action.body.symbol);
    const out = el("div", { "data-testid": "action-response", class: "action-response", hidden: "" });
    li.appendChild(out);
    run.addEventListener("click", async () => {
      // A live order gets the same dialog as the dashboard (symbol, side, quantity, notional,
      // environment); any other action that needs confirmation is still asked about here.
      const ok = isLiveOrder(action) ? await confirmLiveOrder(action.body)
        : !answer.confirm_required || window.confirm(T.confirm + "\n\n" + action.method + " " +
                                                     action.path + "\n" + rows.map(([k, v]) => k + ": " + v).join("\n"));
      if (!ok) {
        out.hidden = false;
        out.textContent = T.cancelled;
        return;
      }
      run.disabled = true;
      out.hidden = false;
      out.textContent = T.running;
      try {
        const res = await call(action.method, action.path, action.body);
        showResponse(out, res);
        if (action.path.indexOf("/canary/") === 0) refreshCanary();
      } catch (e) {
        out.textContent = T.error + ": " + e;
        out.className = "bad";
      } finally {
        run.disabled = false;
      }
    });
    log.appendChild(li);
    log.scrollTop = log.scrollHeight;
    return li;
  }


  // -- an API answer as the cockpit shows it: tables, labels, Turkish numbers and times --------
  const FIELD = T.fields || {};
  const VALUE = T.values || {};
  const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;
  const dates = new Intl.DateTimeFormat(document.documentElement.lang || "tr", {
    dateStyle: "short", timeStyle: "medium", timeZone: "Europe/Istanbul" });
  function label(key) { return FIELD[key] || key; }
  function isTimeKey(key) { return /(Time|time|At|_at)$/.test(key); }
  function cell(key, v) {
    if (v === null || v === undefined || v === "") return "—";
    if (typeof v === "boolean") return v ? T.yes : T.no;
    if (isTimeKey(key) && (typeof v === "number" || /^\d{12,}$/.test(String(v)))) {
      return dates.format(new Date(Number(v)));
    }
    if (typeof v === "string" && ISO.test(v)) {
      const d = new Date(v);
      if (!isNaN(d)) return dates.format(d);
    }
    if (typeof v === "string" && VALUE[v]) return VALUE[v];
    if (typeof v === "number" || /^-?\d+(\.\d+)?$/.test(String(v))) return SparkLive.number(v);
    if (typeof v === "object") return Array.isArray(v) && v.every((x) => typeof x !== "object")
      ? v.map((x) => cell(key, x)).join(", ") : null;
    return String(v);
  }
  function isRows(v) {
    return Array.isArray(v) && v.length > 0 && v.every((x) => x && typeof x === "object" && !Array.isArray(x));
  }
  function table(rows) {
    const keys = [];
    rows.forEach((r) => Object.keys(r).forEach((k) => {
      if (FIELD[k] && keys.indexOf(k) < 0 && cell(k, r[k]) !== null) keys.push(k);
    }));
    if (!keys.length) return el("p", { class: "muted" }, T.records.replace("%(n)s", rows.length));
    const t = el("table", { class: "data", "data-testid": "response-table" });
    const head = el("tr");
    keys.forEach((k) => head.appendChild(el("th", { scope: "col" }, label(k))));
    t.appendChild(el("thead")).appendChild(head);
    const body = t.appendChild(el("tbody"));
    rows.forEach((r) => {
      const tr = body.appendChild(el("tr"));
      keys.forEach((k) => tr.appendChild(el("td", { class: "num" }, cell(k, r[k]) || "—")));
    });
    return t;
  }
  function renderData(data, depth) {
    if (isRows(data)) return table(data);
    if (Array.isArray(data)) return el("p", { class: "muted" }, data.length ? cell("", data) : T.empty);
    if (!data || typeof data !== "object") return el("p", {}, cell("", data));
    const box = el("div", { class: "stack" });
    const dl = el("dl", { class: "kv", "data-testid": "response-fields" });
    // Only the fields that have a name in the page's language; the rest stay in the JSON.
    Object.entries(data).filter(([k]) => FIELD[k]).forEach(([k, v]) => {
      const shown = cell(k, v);
      if (shown !== null) {
        dl.appendChild(el("dt", {}, label(k)));
        dl.appendChild(el("dd", { class: "num", "data-field": k }, shown));
      } else if (depth < 2) {
        const part = el("section", { class: "stack" });
        part.appendChild(el("h4", {}, label(k)));
        part.appendChild(renderData(v, depth + 1));
        box.appendChild(part);
      }
    });
    if (dl.children.length) box.insertBefore(dl, box.firstChild);
    return box;
  }
  function jsonDetails(testid, value) {
    const d = el("details", { class: "json" });
    d.appendChild(el("summary", {}, T.showJson));
    d.appendChild(el("pre", { "data-testid": testid, "aria-label": T.action },
                     typeof value === "string" ? value.slice(0, 4000) : JSON.stringify(value, null, 2)));
    return d;
  }
  function showResponse(out, res) {
    out.replaceChildren();
    out.className = "action-response " + (res.ok ? "ok" : "bad");
    out.dataset.status = res.status;
    out.appendChild(el("p", { "data-testid": "response-status" }, T.response + " " + res.status));
    const data = res.data;
    if (!res.ok && data && data.error) {
      out.appendChild(el("p", { "data-testid": "response-error" }, data.error.message || data.error.code));
    } else if (typeof data !== "string") {
      out.appendChild(renderData(data, 0));
    }
    out.appendChild(jsonDetails("action-response-json", data));
  }

  // -- live orders: confirmed in the shared dialog (static/spark/live-order.js) -----------------
  const marks = new Map(); // symbol -> latest mark, for the notional of a market order
  let liveSub = null;
  function isLiveOrder(action) {
    return action.path === "/futures/order.place" && !!action.body && action.body.dryRun !== true;
  }
  function watchMark(symbol) {
    if (liveSub && symbol) liveSub.subscribe(["ticker:" + symbol]);
  }
  function confirmLiveOrder(body) {
    if (!window.SparkLiveOrder) return Promise.resolve(false);
    return window.SparkLiveOrder.confirm({
      symbol: body.symbol, side: body.side, type: body.type, quantity: body.quantity,
      price: body.price, mark: marks.get(body.symbol), positionSide: body.positionSide,
    });
  }

  async function send(prompt) {
    prompt = (prompt || "").trim();
    if (!prompt) return;
    input.value = "";
    const res = await call("POST", "/ai/chat", { prompt: prompt, context: context() });
    if (res.ok) {
      renderTurn(prompt, res.data);
    } else {
      const li = el("li", { class: "bad" }, T.error + " " + res.status + ": " +
                    (res.data && res.data.error ? res.data.error.message : ""));
      log.appendChild(li);
    }
  }

  form.addEventListener("submit", (ev) => { ev.preventDefault(); send(input.value); });
  document.querySelectorAll("[data-command]").forEach((b) =>
    b.addEventListener("click", () => send(b.dataset.command)));
  history.forEach((h) => renderTurn(h.prompt, h.answer));

  // ------------------------------------------------------------------ panels
  // The TL of a USD figure (static/spark/fx.js), on its own line under it; none without fx.js.
  function tl(usd, testid) {
    if (!window.SparkFx) return null;
    const span = el("div", { class: "muted fx-try small", "data-testid": testid });
    SparkFx.put(span, usd === undefined ? null : usd);
    return span;
  }
  // rows: [label, shown value, class, USD value for a TL line, its test id]
  function kv(dl, rows) {
    dl.replaceChildren();
    rows.forEach(([k, v, cls, usd, testid]) => {
      dl.appendChild(el("dt", {}, k));
      const dd = el("dd", { class: cls || "num" }, v === null || v === undefined ? "—" : v);
      if (testid) {
        dd.dataset.value = usd === null || usd === undefined ? "" : String(usd);
        const line = tl(usd, testid + "-try");
        if (line) dd.appendChild(line);
      }
      dl.appendChild(dd);
    });
  }
  function renderAccount() {
    const a = live.account;
    if (!a) return;
    const n = SparkLive.number;
    kv($("panel-account"), [[T.wallet, n(a.wallet_balance), null, a.wallet_balance, "panel-wallet"],
                            [T.available, n(a.available_balance), null, a.available_balance, "panel-available"],
                            [T.unrealized, n(a.unrealized_pnl), null, a.unrealized_pnl, "panel-upnl"]]);
  }
  function renderRisk() {
    const r = live.risk;
    if (!r) return;
    const open = breakerOpen();
    kv($("panel-risk"), [
      [T.breaker, open ? T.open : T.closed, open ? "badge bad" : "badge ok"],
      [T.todayPnl, SparkLive.number(r.today && r.today.pnl), null, r.today && r.today.pnl, "panel-pnl"],
      [T.lossBudget, SparkLive.number(r.today && r.today.remainingLossBudget), null,
       r.today && r.today.remainingLossBudget, "panel-budget"],
      [T.maxNotional, SparkLive.number(r.limits && (r.limits.maxNotionalUsd || r.limits.max_notional_usd))],
    ]);
  }
  function renderPositions() {
    const tbody = $("panel-positions");
    tbody.replaceChildren();
    const rows = live.positions.filter((p) => parseFloat(p.position_amt) !== 0);
    if (!rows.length) {
      const tr = el("tr"); tr.appendChild(el("td", { colspan: "4", class: "muted" }, T.noPositions));
      tbody.appendChild(tr); return;
    }
    rows.forEach((p) => {
      const tr = el("tr");
      // hedge mode: one row a side, named as the chat names it (ETHUSDT Uzun / ETHUSDT Kısa)
      const side = { LONG: T.sideLong, SHORT: T.sideShort }[p.positionSide];
      tr.appendChild(el("td", { "data-position-side": p.positionSide || "BOTH" },
                        side ? p.symbol + " " + side : p.symbol));
      tr.appendChild(el("td", { class: "num" }, SparkLive.number(p.position_amt)));
      tr.appendChild(el("td", { class: "num" }, SparkLive.number(p.entry_price)));
      const upnl = el("td", { class: "num", "data-value": p.unrealized_pnl }, SparkLive.number(p.unrealized_pnl));
      const line = tl(p.unrealized_pnl, "panel-upnl-" + p.symbol + "-try");
      if (line) upnl.appendChild(line);
      tr.appendChild(upnl);
      tbody.appendChild(tr);
    });
  }
  function renderOrders() {
    const tbody = $("panel-orders");
    tbody.replaceChildren();
    const rows = (live.orders.open || []).concat(live.orders.recent || []).slice(0, 20);
    if (!rows.length) {
      const tr = el("tr"); tr.appendChild(el("td", { colspan: "5", class: "muted" }, T.noOrders));
      tbody.appendChild(tr); return;
    }
    rows.forEach((o) => {
      const tr = el("tr", { "data-client-order-id": o.client_order_id || "" });
      tr.appendChild(el("td", {}, o.symbol));
      tr.appendChild(el("td", { class: o.side === "BUY" ? "up" : "down" }, o.side));
      tr.appendChild(el("td", {}, o.type));
      tr.appendChild(el("td", { class: "num" }, SparkLive.number(o.quantity)));
      tr.appendChild(el("td", {}, o.status + (o.dry_run ? " · " + T.dryRun : "")));
      tbody.appendChild(tr);
    });
  }
  function renderSuggestions() {
    const ul = $("live-suggestions");
    ul.replaceChildren();
    const items = [];
    if (breakerOpen()) items.push([T.breakerOpen, page.canCloseBreaker ? T.closeBreaker : T.riskCmd]);
    if (streamsStale()) items.push([T.streamsStale, T.startStreams]);
    const rate = rejectRate();
    if (rate !== null && rate >= 0.2) items.push([T.rejectsHigh, T.riskCmd]);
    if (!items.length) { ul.appendChild(el("li", { class: "muted" }, T.allGood)); return; }
    items.forEach(([why, command]) => {
      const li = el("li", { "data-testid": "live-suggestion" });
      li.appendChild(el("span", {}, why + " "));
      const b = el("button", { type: "button", class: "link" }, command);
      b.addEventListener("click", () => send(command));
      li.appendChild(b);
      ul.appendChild(li);
    });
  }

  function mergeOrder(order) {
    const key = order.client_order_id;
    const all = (live.orders.open || []).concat(live.orders.recent || []).filter(
      (o) => o.client_order_id !== key);
    all.unshift(order);
    live.orders = { open: all.filter((o) => o.is_open), recent: all.filter((o) => !o.is_open) };
  }

  function onLive(msg) {
    const data = msg.data !== undefined ? msg.data : msg.payload;
    if (msg.type !== "snapshot" && msg.type !== "event") return;
    if (msg.topic.indexOf("ticker:") === 0) {
      if (data && data.mark) marks.set(data.symbol, data.mark);
      return;
    }
    if (msg.topic === "account" && data) { live.account = data; renderAccount(); }
    if (msg.topic === "risk" && data) { live.risk = data; renderRisk(); }
    if (msg.topic === "streams" && data) { live.streams = data; }
    if (msg.topic === "positions" && data) { live.positions = data.positions || []; renderPositions(); }
    if (msg.topic === "orders" && data) {
      if (msg.type === "snapshot") live.orders = { open: data.open || [], recent: data.recent || [] };
      else if (data.order) mergeOrder(data.order);
      renderOrders();
    }
    renderSuggestions();
  }

  // The latest confirmable canary run: "canary onay" confirms it without a number.
  function refreshCanary() {
    call("GET", "/canary/status").then((r) => {
      if (!r.ok || !r.data || !r.data.runs) return;
      const run = r.data.runs.find((x) => x.confirmable);
      live.lastCanaryRunId = run ? run.id : null;
    }).catch(() => {});
  }
  refreshCanary();

  if (window.SparkLive) {
    liveSub = window.SparkLive.connect(["account", "positions", "risk", "orders", "streams"], onLive);
    window.SparkLive.onStatus((state) => SparkLive.showState($("live-state"), state));
  } else {
    // No live socket on this build: read the panels once through the API.
    call("GET", "/futures/risk/status").then((r) => { if (r.ok) onLive({ type: "snapshot", topic: "risk", data: r.data }); });
    call("GET", "/futures/ws.status").then((r) => { if (r.ok) onLive({ type: "snapshot", topic: "streams", data: r.data }); });
  }
  window.SparkCopilot = { send: send, context: context, live: live };
})();
