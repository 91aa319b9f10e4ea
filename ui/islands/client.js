// The UI's one client script (a plain ES module, served as written; no build step). Pages work
// without it; it adds: MLflow hash-link redirects, copy buttons, live sidebar filtering, select-all
// and nested-run toggles, live run and status updates over server-sent events, and uPlot charts
// (hover values, drag to zoom, double-click or Reset to unzoom) loaded only when a chart is seen;
// charts the server left out of a long page load when scrolled to.
// Everything inserted as HTML comes from the server's own escaped renderer.

const prefix = document.body.dataset.prefix || "";
const version = new URL(import.meta.url).search;
const asset = (name) => `${prefix}/_mlt/assets/${name}${version}`;

// MLflow prints links such as http://host:5000/#/experiments/1/runs/abc.
function hashRedirect() {
  const m = /^#\/experiments\/([^/?#]+)(?:\/runs\/([^/?#]+))?/.exec(location.hash);
  if (!m) return;
  let target = `${prefix}/experiments/${encodeURIComponent(decodeURIComponent(m[1]))}`;
  if (m[2]) target += `/runs/${encodeURIComponent(decodeURIComponent(m[2]))}`;
  location.replace(target);
}

function copyButtons() {
  document.addEventListener("click", async (ev) => {
    const b = ev.target.closest && ev.target.closest("[data-copy]");
    if (!b) return;
    try {
      await navigator.clipboard.writeText(b.dataset.copy);
      b.textContent = "Copied";
    } catch {
      b.textContent = "Copy failed";
    }
    setTimeout(() => (b.textContent = "Copy"), 1500);
  });
}

function listFilters() {
  for (const input of document.querySelectorAll("[data-filter-list]")) {
    const list = document.getElementById(input.dataset.filterList);
    if (!list) continue;
    input.addEventListener("input", () => {
      const q = input.value.trim().toLowerCase();
      for (const li of list.children) li.hidden = q !== "" && !li.dataset.name.includes(q);
    });
  }
}

function tableControls() {
  for (const all of document.querySelectorAll("[data-select-all]")) {
    all.addEventListener("change", () => {
      const form = all.closest("form");
      for (const cb of form.querySelectorAll(`input[name="${all.dataset.selectAll}"]`)) {
        if (!cb.closest("tr").hidden) cb.checked = all.checked;
      }
    });
  }
  for (const b of document.querySelectorAll("[data-toggle-children]")) {
    b.addEventListener("click", () => {
      const open = b.getAttribute("aria-expanded") !== "true";
      b.setAttribute("aria-expanded", String(open));
      b.textContent = b.textContent.replace(/^[▾▸]/, open ? "▾" : "▸");
      const id = b.dataset.toggleChildren;
      for (const tr of document.querySelectorAll("tr[data-parent]")) {
        if (tr.dataset.parent === id) tr.hidden = !open;
      }
    });
  }
}

// ---- uPlot ----

let uplotLoading;
function loadUplot() {
  if (!uplotLoading) {
    uplotLoading = new Promise((resolve, reject) => {
      const css = document.createElement("link");
      css.rel = "stylesheet";
      css.href = asset("uplot.css");
      document.head.append(css);
      const s = document.createElement("script");
      s.src = asset("uplot.js");
      s.onload = () => resolve(globalThis.uPlot);
      s.onerror = reject;
      document.head.append(s);
    });
  }
  return uplotLoading;
}

const plots = new WeakMap();

async function fetchData(fig) {
  const res = await fetch(fig.dataset.src, { headers: { accept: "application/json" } });
  if (!res.ok) throw new Error(`chart data: ${res.status}`);
  return await res.json();
}

async function upgrade(fig) {
  if (plots.has(fig) || !fig.dataset.src) return;
  plots.set(fig, null);
  const [UPlot, d] = await Promise.all([loadUplot(), fetchData(fig)]);
  const host = fig.querySelector(".uplot-host");
  const svg = fig.querySelector("svg.static");
  const height = Number(svg.getAttribute("height")) || 200;
  const opts = {
    width: Math.max(200, fig.clientWidth - 16),
    height: height - 20,
    ms: 1,
    scales: {
      x: { time: fig.dataset.time === "1" },
      y: fig.dataset.log === "1" ? { distr: 3 } : {},
    },
    legend: { live: true },
    cursor: { drag: { x: true, y: false } },
    series: [
      {},
      ...d.labels.map((label, i) => ({
        label,
        stroke: d.colors[i],
        width: 1.5,
        spanGaps: true,
        points: { show: false },
      })),
    ],
    axes: [{ stroke: "#888", grid: { stroke: "#8883" } }, {
      stroke: "#888",
      grid: { stroke: "#8883" },
      size: 56,
    }],
  };
  fig.classList.add("upgraded");
  const plot = new UPlot(opts, d.data, host);
  plots.set(fig, plot);
  const cap = fig.querySelector("figcaption");
  if (cap && !cap.querySelector(".reset")) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "copy reset";
    b.textContent = "Reset zoom";
    b.addEventListener("click", () => plot.setData(plot.data));
    cap.append(b);
  }
}

async function refreshPlot(fig) {
  const plot = plots.get(fig);
  if (!plot) return;
  plot.setData((await fetchData(fig)).data);
}

function charts() {
  const io = new IntersectionObserver((entries) => {
    for (const e of entries) {
      if (e.isIntersecting) {
        io.unobserve(e.target);
        upgrade(e.target).catch((err) => console.warn(err));
      }
    }
  }, { rootMargin: "200px" });
  for (const f of document.querySelectorAll("figure.chart[data-src]")) io.observe(f);
  globalThis.addEventListener("resize", () => {
    for (const f of document.querySelectorAll("figure.chart.upgraded")) {
      const p = plots.get(f);
      if (p) p.setSize({ width: Math.max(200, f.clientWidth - 16), height: p.height });
    }
  });
  lazyCharts(io);
  return io;
}

// Charts the server left out of a long page: fetched (4 at a time) when scrolled near.
function lazyCharts(io) {
  const figs = document.querySelectorAll("figure.chart[data-lazy]");
  if (!figs.length) return;
  const queue = [];
  let running = 0;
  const pump = () => {
    while (running < 4 && queue.length) {
      const fig = queue.shift();
      running++;
      loadLazy(fig, io).catch((err) => console.warn(err)).finally(() => {
        running--;
        pump();
      });
    }
  };
  const lio = new IntersectionObserver((entries) => {
    for (const e of entries) {
      if (e.isIntersecting) {
        lio.unobserve(e.target);
        queue.push(e.target);
      }
    }
    pump();
  }, { rootMargin: "400px" });
  for (const f of figs) lio.observe(f);
}

async function loadLazy(fig, io) {
  if (!fig.isConnected) return;
  const res = await fetch(fig.dataset.lazy, { headers: { accept: "application/json" } });
  if (!res.ok) throw new Error(`chart: ${res.status}`);
  const d = await res.json();
  if (!fig.isConnected) return; // a live update replaced it meanwhile
  const next = html(d.figure);
  fig.replaceWith(next);
  if (next.dataset.src) io.observe(next);
  const key = CSS.escape(next.dataset.metricKey);
  const row = document.querySelector(`#metrics-table tr[data-metric-key="${key}"]`);
  if (row && d.row) row.replaceWith(html(d.row));
}

// ---- live updates ----

function html(s) {
  const t = document.createElement("template");
  t.innerHTML = s;
  return t.content.firstElementChild;
}

function liveRun(io) {
  const el = document.querySelector("[data-live-run]");
  if (!el) return;
  const es = new EventSource(el.dataset.liveRun);
  es.onmessage = (ev) => {
    const d = JSON.parse(ev.data);
    const status = document.querySelector("[data-live-status]");
    if (status) status.innerHTML = d.statusHtml;
    const end = document.querySelector("[data-live-end]");
    if (end) end.innerHTML = d.endHtml;
    const dur = document.querySelector("[data-live-duration]");
    if (dur) dur.textContent = d.duration;
    const tbody = document.querySelector("#metrics-table tbody");
    const grid = document.getElementById("charts-grid");
    if (d.metrics.length && (!tbody || !grid)) return location.reload();
    for (const m of d.metrics) {
      const sel = `[data-metric-key="${CSS.escape(m.key)}"]`;
      const row = tbody.querySelector(`tr${sel}`);
      if (m.row) row ? row.replaceWith(html(m.row)) : tbody.append(html(m.row));
      const fig = grid.querySelector(`figure${sel}`);
      const next = html(m.figure);
      if (fig && plots.get(fig)) {
        fig.dataset.points = next.dataset.points;
        fig.querySelector("svg.static").replaceWith(next.querySelector("svg.static"));
        fig.querySelector("figcaption .muted").textContent = `${next.dataset.points} points`;
        refreshPlot(fig).catch((err) => console.warn(err));
      } else if (fig) {
        fig.replaceWith(next);
        if (io) io.observe(next);
      } else {
        grid.append(next);
        if (io) io.observe(next);
      }
    }
    if (d.status !== "RUNNING" && d.status !== "SCHEDULED") el.textContent = "";
  };
}

function liveStatuses() {
  const el = document.querySelector("[data-live-statuses]");
  if (!el) return;
  const es = new EventSource(el.dataset.liveStatuses);
  es.onmessage = (ev) => {
    const { runs } = JSON.parse(ev.data);
    let running = 0;
    for (const [id, r] of Object.entries(runs)) {
      const tr = document.querySelector(`tr[data-run-id="${CSS.escape(id)}"]`);
      if (!tr) continue;
      if (r.statusHtml) tr.querySelector("[data-live-status]").innerHTML = r.statusHtml;
      tr.querySelector("[data-live-duration]").textContent = r.duration;
    }
    for (const b of document.querySelectorAll("#runs-table .badge.RUNNING")) if (b) running++;
    if (!running) {
      es.close();
      el.textContent = "";
    }
  };
}

hashRedirect();
copyButtons();
listFilters();
tableControls();
const io = charts();
liveRun(io);
liveStatuses();
