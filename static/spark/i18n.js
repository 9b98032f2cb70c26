/* SparkI18n — the page's language for scripts (loaded by base.html before any page script).
 *
 *   SparkI18n.label("FILLED")   // "gerçekleşti" on a Turkish page (spark_site/labels.py table)
 *   SparkI18n.usd("1234.5678")  // "1.234,57": USD with 2 decimals on pages
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
  const strings = json("spark-strings");
  const lang = document.documentElement.lang || "tr";
  const money = new Intl.NumberFormat(lang, { minimumFractionDigits: 2, maximumFractionDigits: 2 });

  function label(code) {
    if (code === null || code === undefined) return "—";
    return Object.prototype.hasOwnProperty.call(labels, code) ? labels[code] : String(code);
  }
  function usd(value) {
    if (value === null || value === undefined || value === "") return "—";
    const s = String(value).trim();
    // Intl rounds a decimal string exactly (no float round trip).
    return /^-?\d+(\.\d+)?$/.test(s) ? money.format(s) : s;
  }
  function text(key) { return Object.prototype.hasOwnProperty.call(strings, key) ? strings[key] : key; }

  global.SparkI18n = { label: label, usd: usd, text: text, lang: lang };
})(window);
