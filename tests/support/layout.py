"""What a page looks like in the browser: English words, overflow and WCAG contrast (in-page JS)."""

from __future__ import annotations

# Strings a person reads: text nodes and title/placeholder/aria-label/alt, outside scripts,
# <pre>/<code>/<textarea> (data) and anything marked translate="no" (names a person typed).
VISIBLE_STRINGS_JS = """
const out = [];
const skip = (el) => el.closest('script,style,template,textarea,pre,code,[translate="no"]');
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
while (walker.nextNode()) {
  const node = walker.currentNode, el = node.parentElement;
  const t = node.textContent.trim();
  if (!t || !el || skip(el)) continue;
  const style = getComputedStyle(el);
  if (style.display === 'none' || style.visibility === 'hidden') continue;
  if (!el.getClientRects().length) continue;
  out.push(t);
}
for (const el of document.querySelectorAll('[title],[placeholder],[aria-label],[alt]')) {
  if (skip(el)) continue;
  for (const a of ['title', 'placeholder', 'aria-label', 'alt']) {
    const v = el.getAttribute(a);
    if (v && v.trim()) out.push(v.trim());
  }
}
out.push(document.title);
return out;
"""

# Horizontal overflow: the page scrolls sideways, or an element sticks out of the viewport or out
# of a card (a clipped column).
OVERFLOW_JS = """
const doc = document.documentElement;
const problems = [];
if (doc.scrollWidth > doc.clientWidth + 1) {
  problems.push('page scrolls sideways: ' + doc.scrollWidth + ' > ' + doc.clientWidth);
}
const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
  (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
for (const el of document.querySelectorAll('body *')) {
  const r = el.getBoundingClientRect();
  if (!r.width || !r.height) continue;
  if (getComputedStyle(el).position === 'fixed') continue;
  if (r.right > doc.clientWidth + 1) problems.push(name(el) + ' ends at ' + Math.round(r.right));
  const card = el.parentElement && el.parentElement.closest('.card');
  if (card) {
    const c = card.getBoundingClientRect();
    if (r.right > c.right + 1) problems.push(name(el) + ' overflows its card by ' + Math.round(r.right - c.right));
  }
}
return problems.slice(0, 20);
"""

# WCAG 2.1 contrast of each visible text against the background it is painted on.
CONTRAST_JS = """
const parse = (c) => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
  const p = m[1].split(',').map((x) => parseFloat(x)); return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
const lin = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
const lum = (c) => 0.2126 * lin(c.r) + 0.7152 * lin(c.g) + 0.0722 * lin(c.b);
const over = (top, bottom) => ({ r: top.r * top.a + bottom.r * (1 - top.a), g: top.g * top.a + bottom.g * (1 - top.a),
  b: top.b * top.a + bottom.b * (1 - top.a), a: 1 });
function background(el) {
  const layers = [];
  for (let e = el; e; e = e.parentElement) {
    const c = parse(getComputedStyle(e).backgroundColor);
    if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
  }
  let bg = {r: 255, g: 255, b: 255, a: 1};
  for (let i = layers.length - 1; i >= 0; i--) bg = over(layers[i], bg);
  return bg;
}
const out = [];
const seen = new Set();
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
while (walker.nextNode()) {
  const el = walker.currentNode.parentElement;
  if (!el || !walker.currentNode.textContent.trim() || seen.has(el)) continue;
  seen.add(el);
  const s = getComputedStyle(el);
  if (s.display === 'none' || s.visibility === 'hidden' || !el.getClientRects().length) continue;
  if (el.closest('svg,option,[disabled],button:disabled')) continue;
  const bg = background(el);
  let fg = parse(s.color);
  fg = over({...fg, a: fg.a * parseFloat(s.opacity || 1)}, bg);
  const l1 = lum(fg), l2 = lum(bg);
  const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
  const size = parseFloat(s.fontSize), bold = parseInt(s.fontWeight, 10) >= 700;
  const large = size >= 24 || (bold && size >= 18.66);
  const need = large ? 3 : 4.5;
  if (ratio < need) out.push(`${el.tagName.toLowerCase()}.${el.className} "${el.textContent.trim().slice(0, 30)}": ${ratio.toFixed(2)} < ${need} (${s.color} on rgb(${Math.round(bg.r)},${Math.round(bg.g)},${Math.round(bg.b)}))`);
}
return out;
"""
