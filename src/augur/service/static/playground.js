// The augur playground: two models side by side on one scenario. Plain JS with no
// dependencies, so the page works offline and the service needs no build step.
"use strict";

const $ = (sel) => document.querySelector(sel);
const state = { models: new Map(), scenarios: new Map(), pristine: {}, seq: 0 };

// --- talking to the service -------------------------------------------------------

class PlaygroundError extends Error {}

async function api(path, options) {
  let res;
  try {
    res = await fetch(path, options);
  } catch (e) {
    throw new PlaygroundError(`Cannot reach the augur server (${e.message}). ` +
      "Is `augur serve` still running?");
  }
  let body = null;
  try { body = await res.json(); } catch { /* an error page that is not JSON */ }
  if (!res.ok) throw new PlaygroundError(describeError(res, body));
  return body;
}

// FastAPI answers 422 with a list of {loc, msg}; augur adds `available` to 404s.
function describeError(res, body) {
  const detail = body && body.detail;
  const head = `${res.status} ${res.statusText || "error"} from ${new URL(res.url).pathname}`;
  if (Array.isArray(detail)) {
    return `${head}: the request was rejected:\n` +
      detail.map((d) => `• ${(d.loc || []).join(".")}: ${d.msg}`).join("\n");
  }
  let msg = `${head}: ${typeof detail === "string" ? detail : JSON.stringify(body)}`;
  if (body && Array.isArray(body.available) && !/available:/i.test(msg)) {
    msg += `\nAvailable models: ${body.available.join(", ") || "none"}`;
  }
  return msg;
}

function parseList(id, optional) {
  const text = $(`#${id}`).value.trim();
  if (optional && text === "") return null;
  let value;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new PlaygroundError(`The ${id} textarea is not valid JSON: ${e.message}. ` +
      "Fix it, or press \"Reset to scenario\".");
  }
  if (!Array.isArray(value)) {
    throw new PlaygroundError(`The ${id} textarea must hold a JSON list ([...]), ` +
      `got ${typeof value}.`);
  }
  return value;
}

// --- the controls -------------------------------------------------------------------

function fillModels(models) {
  const usable = models.filter((m) => !m.error).map((m) => m.name);
  for (const [id, pick] of [["#model-a", usable[0]], ["#model-b", usable[1] ?? usable[0]]]) {
    const select = $(id);
    select.replaceChildren(...models.map((m) => {
      const opt = new Option(m.error ? `${m.name} (broken)` : `${m.name} (${fmt(m.composite, 3)})`,
                             m.name);
      opt.disabled = Boolean(m.error);
      if (m.error) opt.title = m.error;
      return opt;
    }));
    if (pick) select.value = pick;
  }
  if (usable.length === 0) {
    throw new PlaygroundError("The server has no usable model. Train one with " +
      "`augur train --data <events.jsonl> --out checkpoints/<name>` (no restart needed), " +
      "then reload this page.");
  }
}

function loadScenario() {
  const sc = state.scenarios.get($("#scenario").value);
  $("#description").textContent = sc.description;
  for (const key of ["events", "candidates"]) {
    state.pristine[key] = JSON.stringify(sc[key], null, 2);
    $(`#${key}`).value = state.pristine[key];
  }
  showMode();
}

// Unedited scenarios go through GET /api/compare; edited ones through POST /predict.
const edited = () => ["events", "candidates"].some((k) => $(`#${k}`).value !== state.pristine[k]);

function showMode() {
  $("#mode").textContent = edited()
    ? "· edited: Compare sends them to POST /predict for each model"
    : "· as shipped: Compare uses GET /api/compare";
}

function showError(message) {
  $("#error").textContent = message;
  $("#results").classList.toggle("stale", Boolean(message));
}

// --- comparing ----------------------------------------------------------------------

async function compare() {
  const seq = ++state.seq; // a newer click wins; late answers to older ones are dropped
  const a = $("#model-a").value, b = $("#model-b").value, scenario = $("#scenario").value;
  try {
    const result = edited() ? await predictBoth(a, b)
      : await api("/api/compare?" + new URLSearchParams({ a, b, scenario }));
    if (seq !== state.seq) return;
    showError("");
    render(result, scenario);
  } catch (e) {
    if (seq !== state.seq) return;
    showError(e instanceof PlaygroundError ? e.message : `Unexpected error: ${e.stack || e}`);
  }
}

async function predictBoth(a, b) {
  const events = parseList("events", false), candidates = parseList("candidates", true);
  const sides = await Promise.all([a, b].map(async (model) => {
    const prediction = await api("/predict", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ model, events, candidates, top_k: 5 }),
    });
    const info = state.models.get(model) || {};
    return { model, composite: info.composite ?? null,
             harness_composite: info.harness_composite ?? null, prediction };
  }));
  const [sa, sb] = sides;
  const diff = sa.composite == null || sb.composite == null ? null : sa.composite - sb.composite;
  return { a: sa, b: sb, composite_diff: diff };
}

// --- drawing ------------------------------------------------------------------------

function fmt(x, digits) { return x == null ? "n/a" : x.toFixed(digits); }
function signed(x) { return x == null ? "n/a" : (x >= 0 ? "+" : "") + x.toFixed(4); }

function h(tag, className, ...children) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  el.append(...children);
  return el;
}

function bars(className, rows) {
  const best = Math.max(...rows.map(([, p]) => p));
  return h("ol", `bars ${className}`, ...rows.map(([name, p]) => {
    const bar = h("div", "bar");
    bar.style.width = `${(100 * p).toFixed(1)}%`;
    const li = h("li", p === best ? "top" : "", h("span", "name", name),
                 h("div", "track", bar), h("span", "pct", `${(100 * p).toFixed(1)}%`));
    li.dataset.prob = p;
    li.querySelector(".name").title = name;
    return li;
  }));
}

// A half-circle gauge; pathLength=100 lets the dash length be the percentage itself.
function gauge(prob, intervene) {
  const pct = (100 * prob).toFixed(0), arc = "M10 50 A40 40 0 0 1 90 50";
  const box = h("div", "proactive");
  box.innerHTML = `<svg class="gauge" viewBox="-14 0 128 62" role="img"
      aria-label="proactive probability ${pct}%">
    <path class="bg" d="${arc}" pathLength="100"/>
    <path class="fg" d="${arc}" pathLength="100" stroke-dasharray="${pct} 100"/>
    <text class="value" x="50" y="46">${pct}%</text>
    <text x="10" y="61">wait</text><text x="90" y="61">intervene</text></svg>`;
  box.append(h("div", `verdict ${intervene ? "intervene" : "wait"}`,
               intervene ? "intervene now" : "wait"));
  return box;
}

function renderSide(el, label, side, scenario) {
  const p = side.prediction;
  const scores = `validation composite ${fmt(side.composite, 4)}` +
    (side.harness_composite == null ? "" : ` · harness composite ${fmt(side.harness_composite, 4)}`);
  el.dataset.model = side.model;
  el.dataset.scenario = scenario;
  el.replaceChildren(
    h("h2", "", `${label}: ${side.model}`), h("div", "muted", scores),
    h("h3", "", "Next action (top 5)"), bars("actions", p.next_actions.map((x) => [x.action, x.prob])),
    h("h3", "", "Response lane"),
    p.lanes == null ? untrained("lane") : bars("lanes", Object.entries(p.lanes)),
    h("h3", "", "Interrupt now?"),
    p.proactive_prob == null ? untrained("interruption") : gauge(p.proactive_prob, p.proactive),
    p.delay_min == null ? untrained("delay")
      : h("div", "delay", `Next action expected in ${fmt(p.delay_min, 1)} min`),
    h("h3", "", "Artifacts, most relevant first"),
    p.artifacts == null ? untrained("candidate") : p.artifacts.length === 0
      ? h("p", "muted", "no candidates given")
      : h("ol", "artifacts", ...p.artifacts.map((x) =>
        h("li", "", x.id, h("span", "score", `score ${fmt(x.score, 2)}`)))),
  );
}

// A head the model never trained (its data, an imported log, had no such labels): the
// service answers null rather than the head's random start.
function untrained(what) {
  return h("p", "muted untrained", `not trained: this model's data had no ${what} labels`);
}

function render(result, scenario) {
  renderSide($("#side-a"), "A", result.a, scenario);
  renderSide($("#side-b"), "B", result.b, scenario);
  const diff = $("#composite-diff");
  diff.textContent = signed(result.composite_diff);
  diff.className = result.composite_diff > 0 ? "up" : result.composite_diff < 0 ? "down" : "";
  const ha = result.a.harness_composite, hb = result.b.harness_composite;
  $("#harness-diff").textContent = ha == null || hb == null ? ""
    : `(harness composite, A − B: ${signed(ha - hb)})`;
}

// --- start --------------------------------------------------------------------------

async function init() {
  try {
    const [models, scenarios] = await Promise.all([api("/models"), api("/api/scenarios")]);
    models.models.forEach((m) => state.models.set(m.name, m));
    scenarios.forEach((s) => state.scenarios.set(s.name, s));
    $("#scenario").replaceChildren(...scenarios.map((s) => new Option(s.name, s.name)));
    loadScenario();
    fillModels(models.models);
  } catch (e) {
    showError(e.message);
    return;
  }
  $("#compare").addEventListener("click", compare);
  $("#model-a").addEventListener("change", compare);
  $("#model-b").addEventListener("change", compare);
  $("#scenario").addEventListener("change", () => { loadScenario(); compare(); });
  $("#reset").addEventListener("click", () => { loadScenario(); compare(); });
  for (const id of ["#events", "#candidates"]) $(id).addEventListener("input", showMode);
  compare();
}

init();
