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
