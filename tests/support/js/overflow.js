const doc = document.documentElement;
const problems = [];
if (doc.scrollWidth > doc.clientWidth + 1) {
  problems.push('page scrolls sideways: ' + doc.scrollWidth + ' > ' + doc.clientWidth);
}
const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
  (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : '');
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
