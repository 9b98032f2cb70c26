/* Strategy Lab Copilot (/strategy-lab-copilot): idea → strategy card + JSON, edit, save drafts.
 * The document format is described in copilot/strategy_schema.py (version 1). */
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const root = $("strategy-lab");
  if (!root) return;
  const T = JSON.parse($("copilot-i18n").textContent);
  const page = JSON.parse($("lab-page").textContent);
  let drafts = JSON.parse($("lab-drafts").textContent);
  let doc = null;
  let prompt = "";

  function csrf() {
    const m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    const el = document.querySelector("[name=csrfmiddlewaretoken]");
    return el ? el.value : "";
  }
  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }
  async function call(method, path, body) {
    const opts = { method: method, credentials: "same-origin", headers: { "Accept": "application/json" } };
    if (method !== "GET") {
      opts.headers["Content-Type"] = "application/json";
      opts.headers["X-CSRFToken"] = csrf();
      opts.body = JSON.stringify(body || {});
    }
    const res = await fetch(path, opts);
    let data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    return { status: res.status, ok: res.ok, data: data };
  }

  const OP_TEXT = { ">": ">", "<": "<", ">=": "≥", "<=": "≤",
                    crosses_above: "↗ crosses above", crosses_below: "↘ crosses below" };
  // a figure in the page's format (0,5 on a Turkish page); an indicator's name stays as it is
  function shown(v) { return typeof v === "number" ? SparkI18n.number(String(v)) : String(v); }
  function ruleText(r) { return shown(r.left) + " " + (OP_TEXT[r.op] || r.op) + " " + shown(r.right); }

  function paramInput(label, value, onChange, testid) {
    const id = "p-" + label.replace(/[^a-z0-9]+/gi, "-");
    const lab = el("label", { for: id }, label);
    const input = el("input", { id: id, type: "number", step: "any", min: "0", value: value,
                                "data-testid": testid || id });
    input.addEventListener("change", () => {
      const v = parseFloat(input.value);
      if (!isNaN(v) && v > 0) onChange(v);
      renderJson();
    });
    $("strategy-params").appendChild(lab);
    $("strategy-params").appendChild(input);
  }

  function renderJson() {
    $("strategy-json").textContent = JSON.stringify(doc, null, 2);
  }

  // Each value of the document beside the words of the idea it came from (issue 25).
  function renderTrace(trace) {
    const tbody = $("strategy-trace");
    if (!tbody) return;
    tbody.replaceChildren();
    (trace || []).forEach((row) => {
      const tr = el("tr", { "data-field": row.field });
      tr.appendChild(el("td", {}, row.field));
      const value = typeof row.value === "object" ? JSON.stringify(row.value) : shown(row.value);
      tr.appendChild(el("td", { class: "num" }, value));
      tr.appendChild(el("td", { class: row.words ? "" : "muted" }, row.words || T.traceDefault));
      tbody.appendChild(tr);
    });
  }

  function render(errors, notes, trace) {
    renderTrace(trace);
    $("strategy-card").hidden = false;
    $("strategy-title").textContent = doc.name;
    $("strategy-summary").textContent = [T.symbol + ": " + doc.symbol, T.timeframe + ": " + doc.timeframe,
      T.type + ": " + (T[doc.strategy_type] || doc.strategy_type),
      T.side + ": " + (T[doc.side] || doc.side)].join(" · ");
    const ul = $("strategy-notes");
    ul.replaceChildren();
    (notes || []).forEach((n) => ul.appendChild(el("li", {}, n)));
    $("strategy-params").replaceChildren();
    const nameLabel = el("label", { for: "p-name" }, T.name);
    const name = el("input", { id: "p-name", type: "text", value: doc.name, "data-testid": "draft-name" });
    name.addEventListener("change", () => { doc.name = name.value; $("strategy-title").textContent = doc.name; renderJson(); });
    $("strategy-params").appendChild(nameLabel);
    $("strategy-params").appendChild(name);
    doc.indicators.forEach((ind) => {
      Object.keys(ind.params).forEach((k) =>
        paramInput(ind.id + "." + k, ind.params[k], (v) => { ind.params[k] = v; }, "param-" + ind.id + "-" + k));
    });
    paramInput(T.stopLoss, doc.stop_loss_pct, (v) => { doc.stop_loss_pct = v; }, "param-stop-loss");
    paramInput(T.takeProfit, doc.take_profit_pct, (v) => { doc.take_profit_pct = v; }, "param-take-profit");
    paramInput(T.size, doc.position_size.value, (v) => { doc.position_size.value = v; }, "param-size");
    [["entry", "rules-entry"], ["exit", "rules-exit"]].forEach(([key, id]) => {
      const list = $(id);
      list.replaceChildren();
      list.appendChild(el("li", { class: "muted" }, doc[key].logic === "any" ? T.any : T.all));
      doc[key].rules.forEach((r) => list.appendChild(el("li", {}, ruleText(r))));
    });
    $("strategy-errors").textContent = (errors && errors.length) ? T.invalid + ": " + errors.join("; ") : "";
    $("save-result").textContent = "";
    const save = $("save-draft");
    save.disabled = !page.canSave;
    if (!page.canSave) $("save-result").textContent = T.noPermission + " copilot.add_strategydraft.";
    renderJson();
  }

  function renderDrafts() {
    const ul = $("draft-list");
    ul.replaceChildren();
    if (!drafts.length) { ul.appendChild(el("li", { class: "muted" }, T.noDrafts)); return; }
    drafts.forEach((d) => {
      const li = el("li", { "data-testid": "draft", "data-draft-id": String(d.id) });
      const b = el("button", { type: "button", class: "link" }, d.name);
      b.addEventListener("click", () => { doc = JSON.parse(JSON.stringify(d.document)); render([], []); });
      li.appendChild(b);
      li.appendChild(el("div", { class: "muted" }, (d.updated_at || "").slice(0, 16).replace("T", " ")));
      ul.appendChild(li);
    });
  }

  $("idea-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    prompt = $("idea").value.trim();
    if (!prompt) return;
    const body = { prompt: prompt };
    if (maxNotional) body.maxNotionalUsd = maxNotional;
    const res = await call("POST", "/ai/generate-strategy", body);
    if (!res.ok) {
      $("strategy-card").hidden = false;
      $("strategy-errors").textContent = T.error + " " + res.status + ": " +
        (res.data && res.data.error ? res.data.error.message : "");
      return;
    }
    doc = res.data.strategy;
    render(res.data.errors, res.data.notes, res.data.trace);
  });

  $("save-draft").addEventListener("click", async () => {
    if (!doc) return;
    const res = await call("POST", "/ai/drafts", { name: doc.name, document: doc, prompt: prompt });
    if (res.ok) {
      $("save-result").textContent = T.saved;
      drafts = [{ id: res.data.id, name: res.data.name, updated_at: res.data.updated_at,
                  document: res.data.document }].concat(drafts);
      renderDrafts();
    } else {
      const err = res.data && res.data.error;
      $("save-result").textContent = T.error + " " + res.status + ": " + (err ? err.message : "") +
        (err && err.details && err.details.errors ? " " + err.details.errors.join("; ") : "");
    }
  });
  // Size strategies under the risk limit in force, not only the default.
  let maxNotional = null;
  call("GET", "/futures/risk/status").then((r) => {
    if (r.ok && r.data && r.data.limits) maxNotional = r.data.limits.maxNotionalUsd || null;
  }).catch(() => {});
  renderDrafts();
})();
