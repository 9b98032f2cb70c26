/* SparkI18n — the page's language for scripts (loaded by base.html before any page script).
 *
 *   SparkI18n.label("FILLED")   // "gerçekleşti" on a Turkish page (spark_site/labels.py table)
 *   SparkI18n.usd("1234.5678")  // "1.234,57": USD with 2 decimals on pages
 *   SparkI18n.number("0.5000")  // "0,5": a decimal with its own precision (up to 8 places)
 *   SparkI18n.fixed("1234.5", 4) // "1.234,5000": a fixed number of places (the `fixed` filter)
 *   SparkI18n.percent("0.2512") // "%25,12": a fraction as a percent in the page's format
 *   SparkI18n.time(iso)         // "06.12.2026 04:05": Europe/Istanbul on Turkish pages
 *   SparkI18n.text("key")       // a page string passed with json_script (id "spark-strings")
 * Codes stay English in data attributes; only what a person reads goes through here.
 */
(function (global) {
  "use strict";
  function json(id) {
    const el = document.getElementById(id);
    if (!el) return {};
    try { return JSON.parse(el.textContent); } catch (e) { return {}; }
  }
  const labels = json("spark-labels");
  let strings = null; // read on first use: a page's json_script may come after this file
  const lang = document.documentElement.lang || "tr";
  const money = new Intl.NumberFormat(lang, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const decimal = new Intl.NumberFormat(lang, { maximumFractionDigits: 8 });
  const percents = new Intl.NumberFormat(lang, {
    style: "percent", minimumFractionDigits: 2, maximumFractionDigits: 2,
  });
  const times = new Intl.DateTimeFormat(lang, {
    timeZone: lang === "tr" ? "Europe/Istanbul" : "UTC", dateStyle: "short", timeStyle: "medium",
  });
  const DECIMAL = /^-?\d+(\.\d+)?$/;

  function label(code) {
    if (code === null || code === undefined) return "—";
    return Object.prototype.hasOwnProperty.call(labels, code) ? labels[code] : String(code);
  }
  function usd(value) {
    if (value === null || value === undefined || value === "") return "—";
    const s = String(value).trim();
    // Intl rounds a decimal string exactly (no float round trip).
    return DECIMAL.test(s) ? money.format(s) : s;
  }
  function number(value) {
    if (value === null || value === undefined || value === "") return "—";
    const s = String(value).trim();
    return DECIMAL.test(s) ? decimal.format(s) : s;
  }
  const fixedFormats = {};
  function fixed(value, places) {
    if (value === null || value === undefined || value === "") return "—";
    const s = String(value).trim();
    if (!DECIMAL.test(s)) return s;
    const f = fixedFormats[places] || (fixedFormats[places] = new Intl.NumberFormat(lang, {
      minimumFractionDigits: places, maximumFractionDigits: places }));
    return f.format(s); // a decimal string is formatted exactly, without a float round trip
  }
  function percent(fraction) {
    if (fraction === null || fraction === undefined || fraction === "") return "—";
    const n = Number(fraction);
    return isNaN(n) ? "—" : percents.format(n);
  }
  function time(iso) {
    if (!iso) return "—";
    const d = new Date(iso);
    return isNaN(d) ? String(iso) : times.format(d) + (lang === "tr" ? "" : " UTC");
  }
  function text(key) {
    if (strings === null) strings = json("spark-strings");
    return Object.prototype.hasOwnProperty.call(strings, key) ? strings[key] : key;
  }

  global.SparkI18n = {
    label: label, usd: usd, number: number, fixed: fixed, percent: percent, time: time, text: text,
    lang: lang,
  };
})(window);
