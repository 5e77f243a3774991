// The page's accessibility problems, as strings (see test_accessibility.py).
() => {
  const problems = [];
  const visible = (el) => {
    const r = el.getBoundingClientRect(), s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== "hidden" && s.display !== "none";
  };
  const name = (el) => {
    if (el.getAttribute("aria-label")) return el.getAttribute("aria-label").trim();
    const by = el.getAttribute("aria-labelledby");
    if (by) return by.split(/\s+/).map((id) => document.getElementById(id)?.textContent || "").join(" ").trim();
    if (el.id) { const l = document.querySelector(`label[for="${CSS.escape(el.id)}"]`); if (l) return l.textContent.trim(); }
    const wrap = el.closest("label"); if (wrap) return wrap.textContent.trim();
    if (el.tagName === "IMG") return (el.getAttribute("alt") ?? null);
    return (el.textContent || el.getAttribute("title") || el.value || "").trim();
  };
  const where = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    (el.className && typeof el.className === "string" ? "." + el.className.split(" ")[0] : "");
  if (!document.documentElement.lang) problems.push("html without lang");
  if (!document.title.trim()) problems.push("empty title");
  if (document.querySelectorAll("main").length !== 1) problems.push("not exactly one <main>");
  const h1 = [...document.querySelectorAll("h1")].filter(visible);
  if (h1.length !== 1) problems.push(`${h1.length} visible h1`);
  let last = 0;
  for (const h of document.querySelectorAll("main h1, main h2, main h3, main h4, main h5, main h6")) {
    if (!visible(h)) continue;
    const level = +h.tagName[1];
    if (last && level > last + 1) problems.push(`heading skips from h${last} to h${level}: ${h.textContent.trim().slice(0, 40)}`);
    last = level;
  }
  for (const el of document.querySelectorAll("input, select, textarea")) {
    if (["hidden", "submit", "button", "reset"].includes(el.type) || !visible(el) && el.type !== "file") continue;
    if (!name(el)) problems.push(`control without a label: ${where(el)}`);
  }
  for (const el of document.querySelectorAll("a[href], button, [role=button]")) {
    if (visible(el) && !name(el)) problems.push(`link or button without a name: ${where(el)}`);
  }
  for (const el of document.querySelectorAll("img")) {
    if (!el.hasAttribute("alt")) problems.push(`image without alt: ${el.src}`);
  }
  for (const el of document.querySelectorAll("[tabindex]")) {
    if (+el.getAttribute("tabindex") > 0) problems.push(`positive tabindex: ${where(el)}`);
  }
  const rgb = (c) => { const m = c.match(/[\d.]+/g); return m ? m.map(Number) : [0, 0, 0, 0]; };
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if ((c[3] ?? 1) > 0.5) return c;
    }
    return matchMedia("(prefers-color-scheme: dark)").matches ? [0, 0, 0] : [255, 255, 255];
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!el || seen.has(el) || !walker.currentNode.textContent.trim() || !visible(el)) continue;
    seen.add(el);
    if (el.closest("[aria-hidden=true], .visually-hidden, .skip-link, option, :disabled")) continue;
    const s = getComputedStyle(el);
    const fg = rgb(s.color), bg = background(el);
    const [a, b] = [lum(fg) + 0.05, lum(bg) + 0.05];
    const ratio = Math.max(a, b) / Math.min(a, b);
    const size = parseFloat(s.fontSize), bold = +s.fontWeight >= 700;
    const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    if (ratio < need) problems.push(`contrast ${ratio.toFixed(2)} < ${need}: ${where(el)} "${walker.currentNode.textContent.trim().slice(0, 30)}"`);
  }
  return problems;
}
