// The memory page: an ask box (POST /memory/ask: words -> a REM query that runs) and a
// query box (POST /memory/query), the rows as a table.
"use strict";

const SHOWN = ["table", "id", "name", "kind", "moment_type", "project", "created_at",
  "starts_at", "score", "parts", "depth", "via", "from"];

function cell(value) {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : value.toFixed(4);
  if (typeof value === "object") {
    // Score parts: "semantic #2 0.61, bm25 #1 7.2"
    return Object.entries(value).map(([k, v]) =>
      (v && typeof v === "object" && "rank" in v) ? `${k} #${v.rank}` : `${k} ${JSON.stringify(v)}`
    ).join(", ");
  }
  return String(value);
}

function render(body) {
  const cols = SHOWN.filter((c) => body.columns.includes(c));
  const use = cols.length ? cols : body.columns;
  const head = document.querySelector("#rows thead");
  const rows = document.querySelector("#rows tbody");
  head.replaceChildren(); rows.replaceChildren();
  const tr = document.createElement("tr");
  for (const c of use) { const th = document.createElement("th"); th.textContent = c; tr.append(th); }
  head.append(tr);
  for (const row of body.rows) {
    const r = document.createElement("tr");
    r.dataset.id = row.id ?? "";
    for (const c of use) { const td = document.createElement("td"); td.textContent = cell(row[c]); r.append(td); }
    rows.append(r);
  }
  document.querySelector("#summary").textContent =
    `${body.query}  —  ${body.rows.length} rows in ${body.elapsed_ms.toFixed(1)} ms`;
}

async function post(path, payload) {
  // The answer's body when it is ok; else null, with the error shown as the route words it.
  const error = document.querySelector("#error");
  error.textContent = "";
  const resp = await fetch(path, {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify(payload),
  });
  const body = await resp.json();
  if (resp.ok) return body;
  const detail = typeof body.detail === "string" ? body.detail
    : Array.isArray(body.detail) ? body.detail.map((d) => `${d.loc.join(".")}: ${d.msg}`).join("; ")
    : JSON.stringify(body.detail);
  error.textContent = `${resp.status}: ${detail}`;
  return null;
}

async function run() {
  const body = await post("/memory/query", { query: document.querySelector("#query").value });
  if (body) render(body);
}

async function ask() {
  const shown = document.querySelector("#ask-query");
  shown.textContent = "Asking… (the first question builds the model: seconds)";
  shown.dataset.state = "asking";
  const body = await post("/memory/ask", { text: document.querySelector("#ask").value });
  shown.dataset.state = body ? (body.refused ? "refused" : "answered") : "failed";
  if (!body) { shown.textContent = ""; return; }
  if (body.refused) {
    shown.textContent = `Refused by ${body.model}: no REM query serves this request ` +
      `(it asks to act, or about the world), so nothing ran.`;
    render({ ...body, query: "REFUSE", columns: [], rows: [], elapsed_ms: body.elapsed_ms });
    return;
  }
  shown.textContent = `${body.model} made: ${body.query}  (${body.generate_ms.toFixed(1)} ms ` +
    `to make, ${body.execute_ms.toFixed(1)} ms to run)`;
  document.querySelector("#query").value = body.query;  // to edit and run again
  render(body);
}

async function stats() {
  const resp = await fetch("/memory/stats");
  const body = await resp.json();
  document.querySelector("#stats").textContent = resp.ok
    ? "Memory: " + Object.entries(body).map(([k, v]) => `${v} ${k}`).join(", ")
    : `Memory unavailable: ${body.detail}`;
}

document.querySelector("#run").addEventListener("click", run);
document.querySelector("#ask-run").addEventListener("click", ask);
document.querySelector("#ask").addEventListener("keydown", (e) => { if (e.key === "Enter") ask(); });
document.querySelector("#query").addEventListener("keydown", (e) => { if (e.key === "Enter") run(); });
stats();
