// Helpers shared by the UI's client modules (see client.js): HTML from the server, JSON
// fetches, and query values changed without a reload.

/** The server's static prefix. */
export const prefix = document.body.dataset.prefix || "";

export function html(s) {
  const t = document.createElement("template");
  t.innerHTML = s;
  return t.content.firstElementChild;
}

export async function getJson(url) {
  const res = await fetch(url, { headers: { accept: "application/json" } });
  if (!res.ok && res.status !== 404) throw new Error(`${url}: ${res.status}`);
  return await res.json();
}

// Changes query values of the current URL without reloading (null deletes).
export function setQuery(pairs) {
  const url = new URL(location.href);
  for (const [k, v] of Object.entries(pairs)) {
    if (v === null || v === "") url.searchParams.delete(k);
    else url.searchParams.set(k, v);
  }
  history.replaceState(null, "", url);
}
