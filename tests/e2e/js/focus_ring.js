// The focused element and whether it shows a focus ring: on itself, or on the label or
// wrapper drawn around it (a radio's ring is often its option's box). See test_accessibility.py.
() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const hasRing = (e) => {
    if (!e) return false;
    const s = getComputedStyle(e);
    return (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== "none";
  };
  const r = el.getBoundingClientRect();
  return {
    tag: el.tagName,
    text: (el.textContent || el.getAttribute("aria-label") || "").trim().slice(0, 30),
    ring: hasRing(el) || hasRing(el.closest("label")) || hasRing(el.parentElement),
    visible: r.width > 0 && r.height > 0,
  };
}
