// Charts for the UI's client (see client.js): hover (the nearest line, the value at the cursor,
// the x value by its axis), drag to zoom (the server redraws the range), double-click to reset,
// charts loaded as they scroll into view, and the chart tab's metric search and run toggles.

import { getJson, html, setQuery } from "./dom.js";

const hoverData = new WeakMap();

function figNums(fig, name) {
  return (fig.dataset[name] || "").split(" ").map(Number);
}

function fmt(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "Infinity" : "-Infinity";
  if (Number.isInteger(v) && Math.abs(v) < 1e9) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e9)) return v.toExponential(4).replace(/\.?0+e/, "e");
  return String(Number(v.toPrecision(6)));
}

function xLabel(mode, x) {
  if (mode === "time") return `Time ${new Date(x).toLocaleString()}`;
  if (mode === "relative") return `Relative time ${fmt(Number(x.toPrecision(6)))} s`;
  return `Step ${fmt(Math.round(x))}`;
}

// Scales between the plot's pixels and data values.
function scales(fig) {
  const [left, top, right, bottom] = figNums(fig, "plot");
  const [x0, x1] = figNums(fig, "xd"), [y0, y1] = figNums(fig, "yd");
  const log = fig.dataset.log === "1";
  const ly0 = Math.log10(y0), ly1 = Math.log10(y1);
  return {
    left,
    right,
    top,
    bottom,
    xOf: (px) => x0 + ((px - left) / (right - left)) * (x1 - x0),
    pxOf: (x) => left + ((x - x0) / (x1 - x0)) * (right - left),
    yOf: (py) => {
      const t = (bottom - py) / (bottom - top);
      return log ? Math.pow(10, ly0 + t * (ly1 - ly0)) : y0 + t * (y1 - y0);
    },
  };
}

// The line's y (pixels) and value at pixel column px, interpolated, or undefined off the line.
function lineAt(line, px) {
  const p = line.px;
  for (let i = 0; i + 1 < p.length; i += 2) {
    const ax = p[i], ay = p[i + 1];
    if (ax === null) continue;
    const n = i + 2 < p.length ? p[i + 2] : null;
    if (ax === px || (n === null && Math.abs(ax - px) <= 2)) return { y: ay, k: i / 2, t: 0 };
    if (n !== null && ax <= px && px <= n) {
      const t = n === ax ? 0 : (px - ax) / (n - ax);
      return { y: ay + (p[i + 3] - ay) * t, k: i / 2, t };
    }
  }
  return undefined;
}

function xPx(sc, x) {
  return sc.pxOf(x);
}

function valueAt(line, hit, sc) {
  if (line.ys) {
    const a = line.ys[hit.k], b = line.ys[hit.k + 1];
    return hit.t === 0 || b === undefined || b === null ? a : a + (b - a) * hit.t;
  }
  return sc.yOf(hit.y);
}

function svgPoint(svg, ev) {
  const r = svg.getBoundingClientRect();
  const vb = svg.viewBox.baseVal;
  return [
    (ev.clientX - r.left) * (vb.width / r.width),
    (ev.clientY - r.top) * (vb.height / r.height),
  ];
}

const SVG = "http://www.w3.org/2000/svg";

function overlay(svg) {
  let g = svg.querySelector("g.hover");
  if (!g) {
    g = document.createElementNS(SVG, "g");
    g.setAttribute("class", "hover");
    g.innerHTML = `<line class="cross"/><polyline class="hl"/><circle class="pt" r="3.5"/>` +
      `<rect class="sel" height="0" width="0"/>`;
    svg.append(g);
  }
  return g;
}

function tooltip(fig) {
  let t = fig.querySelector(".tip");
  if (!t) {
    t = document.createElement("div");
    t.className = "tip";
    t.hidden = true;
    fig.append(t);
  }
  return t;
}

function nearest(lines, px, py) {
  let best, bestD = Infinity;
  for (const line of lines) {
    const hit = lineAt(line, px);
    if (!hit) continue;
    const d = Math.abs(hit.y - py);
    if (d < bestD) [best, bestD] = [{ line, hit }, d];
  }
  return best;
}

function showHover(fig, ev) {
  const lines = hoverData.get(fig);
  const svg = fig.querySelector("svg.static");
  if (!lines || !svg || fig.dataset.xd === undefined) return;
  const sc = scales(fig);
  const [px, py] = svgPoint(svg, ev);
  const g = overlay(svg), tip = tooltip(fig);
  if (px < sc.left || px > sc.right || py < sc.top - 4 || py > sc.bottom + 4) return hideHover(fig);
  const cross = g.querySelector(".cross");
  cross.setAttribute("x1", px), cross.setAttribute("x2", px);
  cross.setAttribute("y1", sc.top), cross.setAttribute("y2", sc.bottom);
  const near = nearest(lines, px, py);
  const hl = g.querySelector(".hl"), pt = g.querySelector(".pt");
  const rows = [];
  let x = sc.xOf(px);
  if (near) {
    const { line, hit } = near;
    const pts = [];
    for (let i = 0; i < line.px.length; i += 2) {
      if (line.px[i] !== null) pts.push(`${line.px[i]},${line.px[i + 1]}`);
    }
    hl.setAttribute("points", pts.join(" "));
    hl.style.stroke = line.color;
    // Snap to the nearer logged point of the line: its x and value are exact.
    const k = hit.t > 0.5 && line.px[hit.k * 2 + 2] !== null && line.px[hit.k * 2 + 2] !== undefined
      ? hit.k + 1
      : hit.k;
    near.hit = { y: line.px[k * 2 + 1], k, t: 0 };
    pt.setAttribute("cx", line.px[k * 2]);
    pt.setAttribute("cy", line.px[k * 2 + 1]);
    pt.style.fill = line.color;
    x = line.xs ? line.xs[k] : sc.xOf(line.px[k * 2]);
    fig.dataset.hoverHref = line.href || "";
  } else {
    hl.setAttribute("points", "");
    pt.setAttribute("cx", -99);
    fig.dataset.hoverHref = "";
  }
  // Few lines: every line's value at this x, like a legend; many: the nearest only.
  const shown = lines.length <= 12 ? lines : near ? [near.line] : [];
  for (const line of shown) {
    const hit = near && near.line === line ? near.hit : lineAt(line, line.xs ? xPx(sc, x) : px);
    if (!hit) continue;
    rows.push({ line, v: valueAt(line, hit, sc), near: near && near.line === line });
  }
  rows.sort((a, b) => b.v - a.v);
  tip.replaceChildren();
  const head = document.createElement("div");
  head.className = "x";
  head.textContent = xLabel(fig.dataset.x, x);
  tip.append(head);
  for (const r of rows) {
    const row = document.createElement("div");
    if (r.near) row.className = "near";
    const sw = document.createElement("i");
    sw.style.background = r.line.color;
    row.append(sw, `${r.line.label}: ${fmt(r.v)}${r.line.xs ? "" : " (approx.)"}`);
    tip.append(row);
  }
  if (!rows.length) tip.append("No line here");
  tip.hidden = false;
  const box = fig.getBoundingClientRect();
  const left = ev.clientX - box.left + 14;
  tip.style.left = `${Math.min(left, box.width - tip.offsetWidth - 4)}px`;
  tip.style.top = `${ev.clientY - box.top + 14}px`;
}

function hideHover(fig) {
  const tip = fig.querySelector(".tip");
  if (tip) tip.hidden = true;
  const g = fig.querySelector("g.hover");
  if (g) g.remove();
}

async function refetch(fig, extra) {
  const url = new URL(fig.dataset.frag, location.href);
  url.searchParams.delete("x0"), url.searchParams.delete("x1");
  for (const [k, v] of Object.entries(extra)) url.searchParams.set(k, v);
  const d = await getJson(url);
  if (!fig.isConnected || !d.figure) return;
  const next = html(d.figure);
  fig.replaceWith(next);
  setupChart(next);
}

export function setupChart(fig) {
  if (fig.dataset.ready || !fig.dataset.frag) return;
  fig.dataset.ready = "1";
  const svg = fig.querySelector("svg.static");
  if (!svg) return;
  let loading, drag, last;
  // The hover data loads on the first visit; the pointer may have moved meanwhile.
  const ensure = () =>
    loading ??= getJson(`${fig.dataset.frag}&hover=1`).then((d) => {
      hoverData.set(fig, d.lines || []);
      if (last) showHover(fig, last);
    }).catch((err) => console.warn(err));
  svg.addEventListener("pointerenter", ensure);
  svg.addEventListener("pointermove", (ev) => {
    last = ev;
    ensure();
    if (drag) {
      const [px] = svgPoint(svg, ev);
      const r = overlay(svg).querySelector(".sel");
      const sc = scales(fig);
      r.setAttribute("x", Math.min(drag, px)), r.setAttribute("width", Math.abs(px - drag));
      r.setAttribute("y", sc.top), r.setAttribute("height", sc.bottom - sc.top);
    }
    if (hoverData.has(fig)) showHover(fig, ev);
  });
  svg.addEventListener("pointerleave", () => {
    last = undefined;
    hideHover(fig);
  });
  svg.addEventListener("pointerdown", (ev) => {
    if (ev.button !== 0) return;
    drag = svgPoint(svg, ev)[0];
    svg.setPointerCapture(ev.pointerId);
  });
  svg.addEventListener("pointerup", (ev) => {
    if (drag === undefined) return;
    const [px] = svgPoint(svg, ev);
    const from = drag;
    drag = undefined;
    const sel = svg.querySelector("g.hover .sel");
    if (sel) sel.setAttribute("width", 0);
    if (Math.abs(px - from) < 6) {
      // On a chart of several runs, a click on a line opens its run.
      const many = (hoverData.get(fig) || []).length > 1;
      if (many && fig.dataset.hoverHref) location.href = fig.dataset.hoverHref;
      return;
    }
    const sc = scales(fig);
    const a = sc.xOf(Math.max(sc.left, Math.min(from, px))),
      b = sc.xOf(Math.min(sc.right, Math.max(from, px)));
    if (b > a) refetch(fig, { x0: String(a), x1: String(b) }).catch((err) => console.warn(err));
  });
  svg.addEventListener("dblclick", () => refetch(fig, {}).catch((err) => console.warn(err)));
  if (fig.classList.contains("zoomed")) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "copy reset";
    b.textContent = "Reset zoom";
    b.addEventListener("click", () => refetch(fig, {}).catch((err) => console.warn(err)));
    fig.querySelector("figcaption").append(b);
  }
}

export function charts() {
  for (const f of document.querySelectorAll("figure.chart[data-frag]")) setupChart(f);
  lazyCharts();
}

// Charts the server left out of a long page: fetched (4 at a time) when scrolled near.
let lio;
function lazyCharts() {
  const queue = [];
  let running = 0;
  const pump = () => {
    while (running < 4 && queue.length) {
      const fig = queue.shift();
      running++;
      loadLazy(fig).catch((err) => console.warn(err)).finally(() => {
        running--;
        pump();
      });
    }
  };
  lio = new IntersectionObserver((entries) => {
    for (const e of entries) {
      if (e.isIntersecting) {
        lio.unobserve(e.target);
        queue.push(e.target);
      }
    }
    pump();
  }, { rootMargin: "400px" });
  for (const f of document.querySelectorAll("figure.chart[data-lazy]")) lio.observe(f);
}

async function loadLazy(fig) {
  if (!fig.isConnected) return;
  const d = await getJson(fig.dataset.lazy);
  if (!fig.isConnected || !d.figure) return; // a live update replaced it meanwhile
  const next = html(d.figure);
  fig.replaceWith(next);
  setupChart(next);
  const key = CSS.escape(next.dataset.metricKey);
  const row = document.querySelector(`#metrics-table tr[data-metric-key="${key}"]`);
  if (row && d.row) row.replaceWith(html(d.row));
}

// ---- the chart tab: metric search and run toggles ----

export function chartTab() {
  const search = document.querySelector("[data-filter-charts]");
  if (search) {
    search.addEventListener("input", () => {
      const q = search.value.trim().toLowerCase();
      for (const f of document.querySelectorAll(".chartpane figure.chart")) {
        f.hidden = q !== "" && !(f.dataset.metricKey || "").toLowerCase().includes(q);
      }
      setQuery({ mq: q || null });
    });
  }
  let timer;
  for (const a of document.querySelectorAll(".runlist a[data-toggle-run]")) {
    a.addEventListener("click", (ev) => {
      ev.preventDefault();
      const url = new URL(location.href);
      const hide = new Set((url.searchParams.get("hide") || "").split(",").filter(Boolean));
      const id = a.dataset.toggleRun;
      const off = !hide.has(id);
      off ? hide.add(id) : hide.delete(id);
      a.closest("li").classList.toggle("off", off);
      a.setAttribute("aria-pressed", String(!off));
      a.title = off ? "Show on the charts" : "Hide from the charts";
      const value = [...hide].join(",");
      setQuery({ hide: value || null });
      clearTimeout(timer);
      // Redraw the charts once the clicking stops.
      timer = setTimeout(() => redrawCharts({ hide: value }), 350);
    });
  }
}

function redrawCharts(pairs) {
  for (const f of document.querySelectorAll(".chartpane figure.chart")) {
    const attr = f.dataset.frag ? "frag" : "lazy";
    const url = new URL(f.dataset[attr], location.href);
    for (const [k, v] of Object.entries(pairs)) {
      v ? url.searchParams.set(k, v) : url.searchParams.delete(k);
    }
    f.dataset[attr] = url.pathname + url.search;
    if (attr === "frag") refetch(f, {}).catch((err) => console.warn(err));
  }
}
