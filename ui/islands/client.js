// The UI's client script (plain ES modules, served as written; no build step). Pages work
// without it; it adds: MLflow hash-link redirects, copy buttons, live list filtering, local times,
// table toggles (select all, nested runs, groups, system metric columns), the charts' hover, zoom
// and lazy loading (charts.js), live run and status updates over server-sent events, and the
// artifact tree's directories and previews opened in place. Everything inserted as HTML comes
// from the server's own escaped renderer.

import { charts, chartTab, setupChart } from "./charts.js";
import { getJson, html, prefix, setQuery } from "./dom.js";

// MLflow prints links such as http://host:5000/#/experiments/1/runs/abc, …/#/experiments/1/
// models/m-abc (a logged model) and …/#/models/name/versions/1 (a registered model).
function hashRedirect() {
  const e = (s) => encodeURIComponent(decodeURIComponent(s));
  const reg = /^#\/models(?:\/([^/?#]+)(?:\/versions\/(\d+))?)?(?![^/?#])/.exec(location.hash);
  if (reg) {
    const v = reg[2] ? `/versions/${reg[2]}` : "";
    return location.replace(`${prefix}/models${reg[1] ? `/${e(reg[1])}${v}` : ""}`);
  }
  const m = /^#\/experiments\/([^/?#]+)(?:\/(runs|models)\/([^/?#]+))?/.exec(location.hash);
  if (!m) return;
  let target = `${prefix}/experiments/${e(m[1])}`;
  if (m[3]) target += `/${m[2]}/${e(m[3])}`;
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

// Relative times keep the absolute time on hover: in the browser's time zone.
function localTimes(root = document) {
  if (new URL(location.href).searchParams.get("tz") === "utc") return;
  for (const t of root.querySelectorAll("time[data-local]")) {
    const d = new Date(t.dateTime);
    if (!isNaN(d)) t.title = d.toLocaleString(undefined, { timeZoneName: "short" });
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
  for (const a of document.querySelectorAll("#runs-table a[data-toggle-group]")) {
    a.addEventListener("click", (ev) => {
      ev.preventDefault();
      const open = a.getAttribute("aria-expanded") !== "true";
      a.setAttribute("aria-expanded", String(open));
      a.textContent = open ? "▾" : "▸";
      const key = a.dataset.toggleGroup;
      for (const tr of document.querySelectorAll("#runs-table tr[data-group]")) {
        if (tr.dataset.group === key) tr.hidden = !open;
      }
      const url = new URL(location.href);
      const keys = url.searchParams.getAll("expand").filter((k) => k !== key);
      if (open) keys.push(key);
      url.searchParams.delete("expand");
      for (const k of keys) url.searchParams.append("expand", k);
      history.replaceState(null, "", url);
    });
  }
  const sys = document.querySelector("a[data-toggle-sys]");
  if (sys) {
    sys.addEventListener("click", (ev) => {
      ev.preventDefault();
      const table = document.getElementById("runs-table");
      const open = table.classList.toggle("sys-closed") === false;
      sys.setAttribute("aria-expanded", String(open));
      sys.textContent = sys.textContent.replace(/^[▾▸]/, open ? "▾" : "▸");
      const n = table.querySelectorAll("thead tr:last-child th.sys").length;
      sys.closest("th").colSpan = open ? n : 1;
      setQuery({ sys: open ? "1" : null });
    });
  }
}

// ---- live updates ----

function liveRun() {
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
      // A zoomed chart stays as the reader left it.
      if (fig && fig.classList.contains("zoomed")) continue;
      const next = html(m.figure);
      fig ? fig.replaceWith(next) : grid.append(next);
      setupChart(next);
    }
    localTimes();
    if (d.status !== "RUNNING" && d.status !== "SCHEDULED") el.textContent = "";
  };
}

function liveStatuses() {
  const el = document.querySelector("[data-live-statuses]");
  if (!el) return;
  const es = new EventSource(el.dataset.liveStatuses);
  es.onmessage = (ev) => {
    const { runs } = JSON.parse(ev.data);
    for (const [id, r] of Object.entries(runs)) {
      const tr = document.querySelector(`tr[data-run-id="${CSS.escape(id)}"]`);
      if (!tr) continue;
      if (r.statusHtml) tr.querySelector("[data-live-status]").innerHTML = r.statusHtml;
      tr.querySelector("[data-live-duration]").textContent = r.duration;
    }
    if (!document.querySelector("#runs-table .badge.RUNNING")) {
      es.close();
      el.textContent = "";
    }
  };
}

// ---- the artifact tree: directories and previews without a reload ----

function artifacts() {
  const root = document.querySelector(".artifacts[data-run-id]");
  if (!root) return;
  const run = root.dataset.runId;
  root.addEventListener("click", async (ev) => {
    const a = ev.target.closest("a[data-artifact]");
    if (!a || ev.ctrlKey || ev.metaKey || ev.shiftKey) return;
    ev.preventDefault();
    const path = a.dataset.artifact;
    const q = `run=${encodeURIComponent(run)}&path=${encodeURIComponent(path)}`;
    try {
      if (a.dataset.dir) {
        const li = a.closest("li");
        const open = a.getAttribute("aria-expanded") === "true";
        const sub = li.querySelector(":scope > ul");
        if (open) {
          if (sub) sub.hidden = true;
        } else if (sub) sub.hidden = false;
        else li.append(html((await getJson(`${prefix}/_mlt/artifact?${q}&list=1`)).html));
        a.setAttribute("aria-expanded", String(!open));
        return;
      }
      const pane = document.getElementById("artifact-preview");
      pane.innerHTML = (await getJson(`${prefix}/_mlt/artifact?${q}`)).html;
      for (const cur of root.querySelectorAll("a[aria-current]")) {
        cur.removeAttribute("aria-current");
      }
      a.setAttribute("aria-current", "true");
      const url = new URL(location.href);
      url.searchParams.set("artifact", path);
      url.hash = "artifacts";
      history.pushState(null, "", url);
    } catch (err) {
      console.warn(err);
      location.href = a.href;
    }
  });
}

hashRedirect();
copyButtons();
listFilters();
localTimes();
tableControls();
charts();
chartTab();
liveRun();
liveStatuses();
artifacts();
