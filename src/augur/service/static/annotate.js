// The annotation page: GET /memory/annotate/next gives a source of task 2's test split
// and its candidates (with the served model's answer); a person sets affinity and type
// for each, optionally rates the model's reason and topics, and POST /memory/annotations
// saves them in the memory store.
"use strict";

const TYPES = ["none", "SEE_ALSO", "PREREQUISITE", "CONTINUATION"];
let current = null;  // the last /memory/annotate/next answer

function resourceView(r) {
  const when = r.created_at.replace("T", " ").slice(0, 16);
  return el("div", { className: "ann-resource" },
    el("div", {}, el("strong", { textContent: r.name }),
      el("span", { className: "muted", textContent: `  ${r.kind} · ${r.id} · ${when}` })),
    el("div", { className: "ann-content", textContent: r.content }));
}

function rating(name, value) {
  const select = el("select", { className: name, title: `${name.replace("-", " ")}: 1 to 5` });
  select.append(el("option", { value: "", textContent: "–" }));
  for (let i = 1; i <= 5; i++) select.append(el("option", { value: String(i), textContent: String(i) }));
  select.value = value == null ? "" : String(value);
  return select;
}

function row(c) {
  const label = c.label;
  const answer = c.answer;
  // An unlabelled pair starts at 0 and none, never at the model's answer: a person who
  // starts from it anchors on it, and the labels would then favour that model.
  const start = label ? Math.round(label.affinity * 100) / 100 : 0;
  const slider = el("input", { type: "range", min: "0", max: "1", step: "0.05",
    value: String(start), className: "affinity" });
  const number = el("input", { type: "number", min: "0", max: "1", step: "0.05",
    value: String(start), className: "affinity-value" });
  slider.addEventListener("input", () => { number.value = slider.value; });
  number.addEventListener("input", () => { slider.value = number.value; });
  const type = el("select", { className: "type" });
  for (const t of TYPES) type.append(el("option", { value: t, textContent: t }));
  type.value = label ? label.type : "none";
  const said = answer
    ? el("div", {}, el("div", { textContent: `${answer.type} at ${answer.score.toFixed(2)}` }),
      el("div", { className: "muted", textContent: `reason: ${answer.reason || "–"}` }),
      el("div", { className: "muted",
        textContent: `topics: ${answer.metadata.topic_overlap.join(", ") || "–"}` }))
    : el("div", { className: "muted", textContent: "no valid answer" });
  const tr = el("tr", {},
    el("td", {}, resourceView(c.resource)),
    el("td", {}, said),
    el("td", {}, el("div", { className: "ann-affinity" }, slider, number)),
    el("td", {}, type),
    el("td", {}, rating("reason-useful", label?.reason_useful)),
    el("td", {}, rating("topics-useful", label?.topics_useful)));
  tr.dataset.candidate = c.resource.id;
  tr.dataset.labelled = label ? "yes" : "no";
  return tr;
}

function render(body) {
  current = body;
  const done = body.source === null;
  $("#progress").textContent = `${body.annotator}: ${body.pairs_done} of ${body.pairs} pairs ` +
    `labelled, ${body.sources_done} of ${body.sources} sources done` +
    (done ? " — all labelled" : ` — source ${body.position} of ${body.sources}`);
  $("#source").replaceChildren(...(done ? [el("p", { textContent: "Every source is labelled." })]
    : [el("h2", { textContent: "Source" }), resourceView(body.source)]));
  $("#source").dataset.source = done ? "" : body.source.id;
  const head = el("tr", {}, ...["Candidate", `${body.model} said`, "Affinity", "Type",
    "Reason useful", "Topics useful"].map((h) => el("th", { textContent: h })));
  $("#pairs thead").replaceChildren(done ? "" : head);
  $("#pairs tbody").replaceChildren(...body.candidates.map(row));
  $("#save").disabled = done;
  $("#next").disabled = body.next_source === null;
  $("#saved").textContent = "";
}

async function load(source) {
  const who = $("#annotator").value.trim();
  const query = new URLSearchParams({ annotator: who });
  if (source) query.set("source", source);
  const body = await call(`/memory/annotate/next?${query}`);
  if (body) render(body);
}

function labels() {
  const model = current.model;
  return [...document.querySelectorAll("#pairs tbody tr")].map((tr) => {
    const out = {
      source: current.source.id, candidate: tr.dataset.candidate,
      affinity: Number(tr.querySelector(".affinity-value").value),
      type: tr.querySelector(".type").value, model,
    };
    for (const [key, cls] of [["reason_useful", ".reason-useful"], ["topics_useful", ".topics-useful"]]) {
      const v = tr.querySelector(cls).value;
      if (v !== "") out[key] = Number(v);
    }
    return out;
  });
}

async function save() {
  const annotator = $("#annotator").value.trim();
  const headers = { "Content-Type": "application/json" };
  const token = $("#token").value.trim();
  if (token) headers.Authorization = `Bearer ${token}`;  // saving changes state
  const body = await call("/memory/annotations", {
    method: "POST", headers,
    body: JSON.stringify({ annotator, labels: labels() }),
  });
  if (!body) return;
  const source = current.source.id;
  await load(source);  // the same source again: its labels saved, the progress moved
  $("#saved").textContent = `Saved ${body.saved} labels for ${source}.`;
  $("#saved").dataset.saved = String(body.saved);
}

$("#load").addEventListener("click", () => load(null));
$("#annotator").addEventListener("keydown", (e) => { if (e.key === "Enter") load(null); });
$("#save").addEventListener("click", save);
$("#next").addEventListener("click", () => load(current.next_source));
load(null);
