/* The confirmation before a live order, shared by every page that can send one (dashboard,
 * copilot). It shows symbol, side, quantity, notional and the server's exchange environment in a
 * real <dialog>; Cancel has the focus, so Enter or Escape sends nothing. Strings come from the
 * server-rendered dialog (templates/futures/_live_order_dialog.html), so they are Turkish first.
 *
 *   const ok = await SparkLiveOrder.confirm({symbol, side, type, quantity, price, mark, takeProfit, stopLoss,
 *                                            positionSide});
 */
(function () {
  "use strict";
  const dialog = document.getElementById("live-order-dialog");
  const lang = document.documentElement.lang || "tr";

  // Exact decimal product of two decimal strings (no float: 0.1 * 3 must not show 0.30000000000000004).
  function parse(s) {
    const m = /^\s*(\d+)(?:\.(\d+))?\s*$/.exec(String(s === null || s === undefined ? "" : s));
    if (!m) return null;
    const frac = m[2] || "";
    return { digits: BigInt(m[1] + frac), scale: frac.length };
  }
  function multiply(a, b) {
    const x = parse(a), y = parse(b);
    if (!x || !y) return null;
    const scale = x.scale + y.scale;
    const s = (x.digits * y.digits).toString().padStart(scale + 1, "0");
    return scale ? s.slice(0, s.length - scale) + "." + s.slice(s.length - scale) : s;
  }
  // Intl formats a decimal string exactly (no float round trip): tr 1.234,56 · en 1,234.56.
  function format(value, maxDigits, minDigits) {
    return new Intl.NumberFormat(lang, {
      minimumFractionDigits: minDigits || 0, maximumFractionDigits: maxDigits,
    }).format(value);
  }
  function quote(symbol) {
    const m = /(USDT|USDC|BUSD|USD)$/.exec(symbol || "");
    return m ? m[1] : "";
  }

  function fill(order) {
    const d = dialog.dataset;
    const set = (id, value) => { dialog.querySelector("[data-testid=" + id + "]").textContent = value; };
    set("confirm-symbol", order.symbol);
    // on a hedge-mode account the side of the position goes with it: "Satış · Uzun" closes a long
    const position = { LONG: d.long, SHORT: d.short }[order.positionSide];
    set("confirm-side", (order.side === "SELL" ? d.sell : d.buy) + (position ? " · " + position : ""));
    dialog.querySelector("[data-testid=confirm-side]").className = order.side === "SELL" ? "down" : "up";
    set("confirm-quantity", parse(order.quantity) ? format(order.quantity, 8) : String(order.quantity));
    const limit = order.type === "LIMIT" && parse(order.price);
    const price = limit ? order.price : order.mark;
    const notional = multiply(order.quantity, price);
    set("confirm-notional", notional === null ? d.noMark
      : "≈ " + format(notional, 2, 2) + " " + quote(order.symbol) + " (" + (limit ? d.atLimit : d.atMark) + ")");
    // A TP/SL attached to the entry is part of what is confirmed.
    [["tp", order.takeProfit], ["sl", order.stopLoss]].forEach(([k, v]) => {
      const dd = dialog.querySelector("[data-testid=confirm-" + k + "]");
      const dt = dialog.querySelector("[data-testid=confirm-" + k + "-label]");
      if (!dd || !dt) return;
      dd.hidden = dt.hidden = !v;
      dd.textContent = v ? (parse(v) ? format(v, 8) : String(v)) : "";
    });
  }

  /** Ask before a live order; resolve true only when the user pressed the send button. */
  function confirm(order) {
    if (!dialog || typeof dialog.showModal !== "function") return Promise.resolve(false);
    fill(order);
    dialog.returnValue = "";
    return new Promise((resolve) => {
      dialog.addEventListener("close", () => resolve(dialog.returnValue === "confirm"), { once: true });
      dialog.showModal();
      dialog.querySelector("[data-testid=confirm-cancel]").focus();
    });
  }

  window.SparkLiveOrder = { confirm: confirm, multiply: multiply };
})();
