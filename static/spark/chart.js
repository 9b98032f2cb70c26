/* The dashboard's candlestick chart (TradingView Lightweight Charts, static/vendor/).
 *
 * History from GET /futures/klines (the chosen timeframe), live from the topic kline:<SYMBOL>:
 * every 1m bar of the stream is folded into the current bar of the timeframe (high/low widened,
 * close replaced, a new bar when the 1m bar starts a new period), so one stream serves all six
 * timeframes. The position's entry and liquidation, its TP/SL and every open order of the symbol
 * are price lines. Decimal strings are turned into numbers only here, to draw them; the tables
 * and the API keep them exact. Tests read window.SparkChart.state().
 */
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const box = $("chart");
  const dash = $("dashboard");
  if (!box || !dash || !window.SparkLive || !window.LightweightCharts) return;
  const LC = window.LightweightCharts;
  const L = box.dataset; // translated line titles
  const lang = document.documentElement.lang || "tr";
  const zone = lang === "tr" ? "Europe/Istanbul" : "UTC";
  const css = getComputedStyle(document.documentElement);
  const color = (name, fallback) => (css.getPropertyValue(name) || fallback).trim();
  const BUY = color("--buy", "#0ecb81"), SELL = color("--sell", "#f6465d");

  let symbol = dash.dataset.symbol;
  let interval = L.interval || "1m";
  let intervalMs = 60000;
  let bars = []; // {time (s), open, high, low, close} oldest first
  let loads = 0, liveUpdates = 0, seq = 0, decimals = 2;
  const positions = new Map(), orders = new Map();
  let lines = []; // [{kind, price, handle}]

  const priceFormat = () => new Intl.NumberFormat(lang, { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
  let prices = priceFormat();
  const stamp = (opts) => new Intl.DateTimeFormat(lang, Object.assign({ timeZone: zone }, opts));
  const full = stamp({ dateStyle: "short", timeStyle: "short" });
  const hm = stamp({ hour: "2-digit", minute: "2-digit" });
  const dm = stamp({ day: "2-digit", month: "2-digit" });
  const chart = LC.createChart(box, {
    autoSize: true,
    layout: { background: { color: "transparent" }, textColor: color("--text", "#e6edf3") },
    grid: { vertLines: { color: color("--line", "#263241") }, horzLines: { color: color("--line", "#263241") } },
    timeScale: {
      timeVisible: true, secondsVisible: false,
      // Times in Europe/Istanbul on Turkish pages, UTC on English ones (as everywhere in Spark).
      tickMarkFormatter: (t, kind) => (kind <= 2 ? dm : hm).format(new Date(t * 1000)),
    },
    localization: {
      locale: lang,
      timeFormatter: (t) => full.format(new Date(t * 1000)),
      priceFormatter: (p) => prices.format(p),
    },
  });
  const series = chart.addSeries(LC.CandlestickSeries, {
    upColor: BUY, downColor: SELL, borderUpColor: BUY, borderDownColor: SELL, wickUpColor: BUY, wickDownColor: SELL,
  });

  // The library's attribution link (its license's notice) stays, titled in the page's language.
  function attribution() {
    const logo = box.querySelector("#tv-attr-logo");
    if (logo && L.attribution) logo.title = L.attribution;
  }

  function places(s) { const i = String(s).indexOf("."); return i < 0 ? 0 : String(s).length - i - 1; }
  function bar(b) {
    return { time: Math.floor(b.t / 1000), open: +b.o, high: +b.h, low: +b.l, close: +b.c };
  }

  async function load() {
    const mine = ++seq;
    box.dataset.state = "loading";
    const q = "?symbol=" + encodeURIComponent(symbol) + "&interval=" + encodeURIComponent(interval) + "&limit=300";
    let data = null;
    try {
      const r = await fetch("/futures/klines" + q, { credentials: "same-origin", headers: { Accept: "application/json" } });
      data = await r.json();
      if (!r.ok) throw new Error((data && data.error && data.error.message) || "HTTP " + r.status);
    } catch (e) {
      if (mine !== seq) return;
      box.dataset.state = "error";
      $("chart-status").textContent = String(e.message || e);
      return;
    }
    if (mine !== seq) return; // a newer timeframe or symbol was chosen meanwhile
    intervalMs = data.intervalMs;
    const raw = data.bars || [];
    decimals = raw.length ? Math.min(8, Math.max(...raw.slice(-20).map((b) => places(b.c)))) : 2;
    prices = priceFormat();
    series.applyOptions({ priceFormat: { type: "price", precision: decimals, minMove: Math.pow(10, -decimals) } });
    bars = raw.map(bar);
    series.setData(bars);
    chart.timeScale().scrollToRealTime();
    loads += 1;
    box.dataset.state = "ready";
    box.dataset.interval = interval;
    $("chart-status").textContent = "";
    attribution();
    drawLines();
  }

  // One 1m bar from the stream, folded into the timeframe's current bar.
  function onLive(k) {
    if (!k || box.dataset.state !== "ready" || !bars.length) return;
    const start = Math.floor(k.t / intervalMs) * intervalMs / 1000;
    const last = bars[bars.length - 1];
    const high = +k.h, low = +k.l, close = +k.c;
    let next;
    if (start === last.time) {
      // the 1m bar's own high/low also covers the part of it the history already counted
      next = { time: start, open: last.open, high: Math.max(last.high, high), low: Math.min(last.low, low), close: close };
      bars[bars.length - 1] = next;
    } else if (start > last.time) {
      next = { time: start, open: +k.o, high: high, low: low, close: close };
      bars.push(next);
    } else {
      return; // older than the history's newest bar: nothing to change
    }
    series.update(next);
    liveUpdates += 1;
  }

  // -- price lines: entry, liquidation, TP/SL, open orders -----------------------------------
  function want() {
    const out = [];
    // One row per side in hedge mode (LONG and SHORT): each open one draws its own lines.
    positions.forEach((p) => {
      if (p.symbol !== symbol || !+p.position_amt) return;
      if (+p.entry_price > 0) out.push({ kind: "entry", price: +p.entry_price, color: color("--accent", "#f0b90b"), title: L.entry, style: 0 });
      if (+p.liquidation_price > 0) out.push({ kind: "liquidation", price: +p.liquidation_price, color: SELL, title: L.liquidation, style: 0 });
    });
    orders.forEach((o) => {
      if (!o.is_open || o.symbol !== symbol) return;
      const trigger = +o.stop_price || +o.activation_price;
      if (o.type === "TAKE_PROFIT_MARKET" || o.type === "TAKE_PROFIT") {
        if (trigger) out.push({ kind: "tp", price: trigger, color: BUY, title: L.tp, style: 2 });
      } else if (o.type === "STOP_MARKET" || o.type === "STOP") {
        if (trigger) out.push({ kind: "sl", price: trigger, color: SELL, title: L.sl, style: 2 });
      } else if (o.type === "TRAILING_STOP_MARKET") {
        if (trigger) out.push({ kind: "trailing", price: trigger, color: SELL, title: L.trailing, style: 3 });
      } else if (+o.price) {
        out.push({ kind: "order", price: +o.price, color: o.side === "BUY" ? BUY : SELL,
          title: (o.side === "BUY" ? L.buy : L.sell) + " " + SparkLive.number(o.quantity), style: 1 });
      }
    });
    return out;
  }
  function drawLines() {
    lines.forEach((l) => series.removePriceLine(l.handle));
    lines = want().map((l) => ({
      kind: l.kind, price: l.price,
      handle: series.createPriceLine({ price: l.price, color: l.color, lineWidth: 1, lineStyle: l.style, axisLabelVisible: true, title: l.title }),
    }));
    box.dataset.lines = lines.map((l) => l.kind).join(" ");
  }

  // -- wiring ---------------------------------------------------------------------------------
  const topic = () => "kline:" + symbol;
  const sub = SparkLive.connect([topic(), "positions", "orders"], (msg) => {
    if (msg.type !== "snapshot" && msg.type !== "event") return;
    const d = msg.data;
    if (msg.topic === topic()) {
      if (d) onLive(d);
    } else if (msg.topic === "positions" && d) {
      if (msg.type === "snapshot") positions.clear();
      (d.positions || []).forEach((p) => positions.set(p.symbol + "|" + (p.positionSide || "BOTH"), p));
      drawLines();
    } else if (msg.topic === "orders" && d) {
      if (msg.type === "snapshot") orders.clear();
      (d.open || []).concat(d.order ? [d.order] : []).forEach((o) => orders.set(o.client_order_id, o));
      drawLines();
    }
  });

  function choose(next) {
    interval = next;
    document.querySelectorAll("#chart-intervals button").forEach((b) => {
      b.setAttribute("aria-pressed", b.dataset.interval === interval ? "true" : "false");
    });
    load();
  }
  document.querySelectorAll("#chart-intervals button").forEach((b) => {
    b.addEventListener("click", () => choose(b.dataset.interval));
  });
  $("symbol").addEventListener("change", (ev) => {
    sub.unsubscribe([topic()]);
    symbol = ev.target.value;
    $("chart-symbol").textContent = symbol;
    sub.subscribe([topic()]);
    load();
  });
  choose(interval);

  window.SparkChart = {
    state: () => ({
      symbol: symbol, interval: interval, loads: loads, liveUpdates: liveUpdates, bars: bars.length,
      last: bars.length ? Object.assign({}, bars[bars.length - 1]) : null,
      lines: lines.map((l) => ({ kind: l.kind, price: l.price })),
    }),
  };
})();
