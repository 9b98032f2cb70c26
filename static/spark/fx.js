/* SparkFx — a page's USD figures also in TL, at the USDTTRY rate the page was rendered with.
 *
 *   <p id="fx" data-rate="34.5" data-at="2026-12-06T03:52:49+00:00" data-max-age="300"
 *      data-status="ok">…<span data-role="stale" hidden>eski kur</span></p>
 *   SparkFx.put(document.getElementById("account-balance-try"), "10000.00")  // "≈ 345.000,00 TL"
 *   <span class="fx-try" data-usd="12.5"></span>  // a server-rendered figure: filled on load
 *
 * The product is exact (BigInt decimal arithmetic, rounded half up to the kuruş), never a
 * float's, so the TL figure is what portfolio/fx.py would compute. A rate older than its allowed
 * age (BTCTurk's own time) is marked stale on the rate line and on every TL figure, also when
 * it ages while the page stays open; without a rate the figures stay empty.
 */
(function (global) {
  "use strict";
  const DECIMAL = /^-?\d+(\.\d+)?$/;

  // a × b of two decimal strings, rounded half up to 2 places, as a decimal string.
  function times(a, b) {
    const parse = (s) => {
      const neg = s.startsWith("-");
      const [i, f = ""] = (neg ? s.slice(1) : s).split(".");
      return { neg, n: BigInt(i + f), scale: f.length };
    };
    const x = parse(String(a)), y = parse(String(b));
    let n = x.n * y.n;
    const scale = x.scale + y.scale;
    if (scale > 2) {
      const div = 10n ** BigInt(scale - 2);
      n = n / div + ((n % div) * 2n >= div ? 1n : 0n);
    } else {
      n = n * 10n ** BigInt(2 - scale);
    }
    const digits = n.toString().padStart(3, "0");
    const sign = x.neg !== y.neg && n !== 0n ? "-" : "";
    return sign + digits.slice(0, -2) + "." + digits.slice(-2);
  }

  function box() { return document.getElementById("fx"); }

  // ok, stale or unavailable: the server's verdict, turned stale once the rate outlives its age.
  function status() {
    const el = box();
    if (!el || !el.dataset.rate) return "unavailable";
    const d = el.dataset;
    if (d.status === "ok" && d.at && d.maxAge) {
      const age = (Date.now() - Date.parse(d.at)) / 1000;
      if (age > Number(d.maxAge)) {
        d.status = "stale";
        const badge = el.querySelector('[data-role="stale"]');
        if (badge) badge.hidden = false;
      }
    }
    return d.status;
  }

  function mark(el, state) {
    el.dataset.status = state;
    el.classList.toggle("stale", state === "stale");
  }

  function put(el, usd) {
    if (!el) return;
    const rate = box() && box().dataset.rate;
    const state = status();
    if (!rate || usd === null || usd === undefined || !DECIMAL.test(String(usd).trim())) {
      el.textContent = "";
      delete el.dataset.value;
      mark(el, state);
      return;
    }
    const value = times(String(usd).trim(), rate);
    el.textContent = "≈ " + global.SparkI18n.usd(value) + " TL";
    el.dataset.value = value;
    el.dataset.rate = rate;
    el.title = String(usd).trim() + " USD × " + rate + " USDTTRY";
    mark(el, state);
  }

  // Every server-rendered figure (.fx-try with data-usd) under root, in TL; a live page calls
  // it again after it redraws, or put() with the new USD value.
  function fill(root) {
    (root || document).querySelectorAll(".fx-try[data-usd]").forEach((el) => put(el, el.dataset.usd));
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => fill());
  else fill();

  // A page left open: every TL figure follows the rate's status (checked each 15 s).
  setInterval(() => {
    const state = status();
    document.querySelectorAll(".fx-try[data-value]").forEach((el) => mark(el, state));
  }, 15000);

  global.SparkFx = { times, put, status, fill };
})(window);
