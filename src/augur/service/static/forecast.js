// The forecast page: GET /forecast/example loads a test-split case into the editor;
// POST /forecast returns a forecaster's probability per candidate per level, drawn as
// bars beside the true probability (p_true, synthetic cases) with the actual outcome marked.
"use strict";

function clear() {
  $("#levels").replaceChildren();
  $("#seed").hidden = true;
  $("#summary").textContent = "";
  document.body.removeAttribute("data-shown");
}

async function loadExample() {
  clear();
  const source = $("#source").value;
  const i = Number($("#index").value) || 0;
  const body = await call(`/forecast/example?source=${source}&i=${i}`);
  if (!body) return;
  $("#index").max = String(body.count - 1);
  $("#fc-case").value = JSON.stringify(body.case, null, 1);
  $("#summary").textContent = `${source} test case ${body.i + 1} of ${body.count}`;
  await predict();
}

function pct(p) {
  return p == null ? "" : `${(100 * p).toFixed(1)}%`;
}

function bar(p, cls) {
  const width = `${Math.max(0, Math.min(1, p)) * 100}%`;
  return el("div", { className: "track" }, el("div", { className: cls, style: `width: ${width}` }));
}

function levelView(level) {
  const truth = level.candidates.some((c) => c.p_true != null);
  const list = el("ul", { className: "fc-bars" });
  level.candidates.forEach((c, i) => {
    const li = el("li", { className: i === level.actual ? "actual" : "" },
      el("span", { className: "name", textContent: c.text, title: c.kind || "" }),
      bar(c.probability, "bar forecast"), el("span", { className: "pct", textContent: pct(c.probability) }));
    if (truth) {
      li.append(bar(c.p_true, "bar true"), el("span", { className: "pct", textContent: pct(c.p_true) }));
    }
    list.append(li);
  });
  const when = level.date ? `  ·  ${level.date.replace("T", " ")}` : "";
  return el("div", { className: "fc-level" }, el("h2", { textContent: `Depth ${level.depth}${when}` }), list);
}

async function predict() {
  let kase;
  try {
    kase = JSON.parse($("#fc-case").value);
  } catch (e) {
    clear();
    $("#error").textContent = `case: not valid JSON (${e.message})`;
    return;
  }
  const headers = { "Content-Type": "application/json" };
  const token = $("#token").value.trim();
  if (token) headers.Authorization = `Bearer ${token}`;
  const forecaster = $("#forecaster").value;
  $("#summary").textContent = `${forecaster}: forecasting...`;
  const body = await call("/forecast", { method: "POST", headers,
    body: JSON.stringify({ case: kase, forecaster }) });
  if (!body) {
    clear();
    return;
  }
  const seed = kase.seed || {};
  $("#seed").replaceChildren(el("strong", { textContent: seed.text || seed.event || "" }),
    el("span", { className: "muted", textContent: `  ${seed.date || ""}  ·  ${body.case_id}` }),
    ...(kase.context ? [el("div", { className: "muted", textContent: kase.context })] : []));
  $("#seed").hidden = false;
  $("#levels").replaceChildren(...body.levels.map(levelView));
  $("#summary").textContent = `${body.forecaster}: ${body.latency_ms.toFixed(1)} ms`;
  document.body.dataset.shown = `${body.forecaster}:${body.case_id}`;
}

$("#load").addEventListener("click", loadExample);
$("#predict").addEventListener("click", predict);
loadExample();
