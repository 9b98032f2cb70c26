// Live portfolio page: on each new snapshot (announced on /ws/live/ topic "portfolio" for
// logged-in users, else found by polling) fetch /api/portfolio, redraw the numbers and tables,
// and reload the SVG charts (they stay server-rendered). No library, no build step.
const root = document.getElementById("portfolio");
const POLL_MS = 15000; // without the live socket
const FALLBACK_POLL_MS = 60000; // with it: only to catch a missed announcement
let lastSnapshot = null;

// Every string and number a person reads is in the page's language (static/spark/i18n.js).
const I = window.SparkI18n;
const pct = (f) => I.percent(f);
const usd = (v) => (v == null ? "—" : `${I.usd(v)} USD`);
const badge = (s) => (s === "ok" ? "ok" : s === "stale" ? "warn" : "bad");

function el(tag, attrs = {}, text = null) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text != null) e.textContent = text;
  return e;
}

function renderExchange(ex) {
  const card = el("section", { class: "card exchange", "data-exchange": ex.exchange });
  const head = el("div", { class: "row" });
  head.append(
    el("h2", {}, ex.label),
    el("span", { class: `badge ${badge(ex.status)}`, "data-role": "status", "data-status": ex.status }, I.label(ex.status)),
    el("span", { class: "num", "data-role": "value", title: `${ex.value_usd} USD` }, usd(ex.value_usd)),
    el("span", { class: "muted", "data-role": "share" }, pct(ex.share)),
    el("span", { class: "muted" }, `${I.text("fetched")} ${I.time(ex.fetched_at)}`),
  );
  card.append(head);
  if (ex.error) {
    card.append(el("p", { class: "badge bad", "data-role": "error", "data-code": ex.error.code }, `${ex.error.text} (${ex.error.code})`));
  }
  const table = el("table");
  const hr = el("tr");
  for (const h of ["asset", "quantity", "price", "value", "share"]) hr.append(el("th", {}, I.text(h)));
  const thead = el("thead");
  thead.append(hr);
  table.append(thead);
  const body = el("tbody");
  for (const a of ex.assets) {
    const tr = el("tr", { "data-asset": a.asset, ...(a.stale ? { class: "muted" } : {}) });
    tr.append(
      el("td", {}, a.asset),
      el("td", { class: "num", title: a.quantity }, I.number(a.quantity)),
      el("td", { class: "num", title: a.price_usd ?? "" }, I.usd(a.price_usd)),
      el("td", { class: "num", title: a.value_usd ?? "" }, I.usd(a.value_usd)),
      el("td", { class: "num", "data-share": a.share }, pct(a.share)),
    );
    body.append(tr);
  }
  table.append(body);
  card.append(table);
  return card;
}

async function reloadCharts() {
  const r = await fetch(root.dataset.charts, { credentials: "same-origin" });
  if (r.ok) document.getElementById("portfolio-charts").innerHTML = await r.text();
}

// "1234567.891" -> "1.234.567,89" on a Turkish page (string arithmetic: no float rounding).
function money(text) {
  if (text === null || text === undefined) return "—";
  const neg = text.startsWith("-");
  const [int, frac = ""] = (neg ? text.slice(1) : text).split(".");
  const tr = document.documentElement.lang === "tr";
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, tr ? "." : ",");
  return `${neg ? "-" : ""}${grouped}${tr ? "," : "."}${(frac + "00").slice(0, 2)}`;
}

function renderTry(p) {
  const box = document.getElementById("portfolio-total-try");
  if (!box || !p.fx) return;
  box.dataset.status = p.fx.status;
  const amount = box.querySelector('[data-role="try"]');
  if (amount && p.total_try !== null) amount.textContent = `${money(p.total_try)} TL`;
  const badge = box.querySelector('[data-role="fx-status"]');
  badge.hidden = p.fx.status === "ok";
  badge.textContent = p.fx.status === "unavailable" ? box.dataset.unavailableLabel : box.dataset.staleLabel;
  badge.className = `badge ${p.fx.status === "unavailable" ? "bad" : "warn"}`;
}

function render(p) {
  const total = document.getElementById("portfolio-total");
  total.textContent = usd(p.total_usd);
  total.title = `${p.total_usd} USD`;
  total.dataset.total = p.total_usd;
  renderTry(p);
  const asOf = document.getElementById("portfolio-as-of");
  asOf.textContent = I.time(p.as_of);
  asOf.setAttribute("datetime", p.as_of);
  const partial = document.getElementById("portfolio-partial");
  partial.textContent = I.text(p.partial ? "partial" : "complete");
  partial.className = `badge ${p.partial ? "warn" : "ok"}`;
  const errors = document.getElementById("portfolio-errors");
  errors.replaceChildren(
    ...p.errors.map((e) => el("li", { class: "badge bad", "data-exchange": e.exchange, "data-code": e.code }, `${e.label}: ${e.text} (${e.code})`)),
  );
  document.getElementById("portfolio-exchanges").replaceChildren(...p.exchanges.map(renderExchange));
  root.dataset.snapshot = p.snapshot_id;
  if (lastSnapshot !== null && lastSnapshot !== p.snapshot_id) reloadCharts();
  lastSnapshot = p.snapshot_id;
}

async function poll(refresh = false) {
  try {
    const r = await fetch(root.dataset.api + (refresh ? "?refresh=1" : ""), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    if (r.ok) render(await r.json());
  } catch (err) {
    console.warn("portfolio poll failed", err);
  }
}

if (root) {
  document.getElementById("portfolio-refresh").addEventListener("click", () => poll(true));
  poll();
  const live = root.dataset.live === "1" && window.SparkLive;
  if (live) {
    window.SparkLive.connect(["portfolio"], (msg) => {
      if (msg.type === "event" && msg.data && msg.data.snapshot_id !== lastSnapshot) poll();
    });
  }
  setInterval(poll, live ? FALLBACK_POLL_MS : POLL_MS);
}
