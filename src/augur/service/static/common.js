// Helpers the playground's pages share (loaded before each page's own script):
// $ for one element, el to build one, call to fetch a route and show its error.
"use strict";

const $ = (sel) => document.querySelector(sel);

function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

function showError(status, body) {
  const detail = typeof body.detail === "string" ? body.detail
    : Array.isArray(body.detail) ? body.detail.map((d) => `${d.loc.join(".")}: ${d.msg}`).join("; ")
    : JSON.stringify(body.detail);
  $("#error").textContent = `${status}: ${detail}`;
}

async function call(path, init) {
  // The answer's body when it is ok; else null, with the error shown as the route words it.
  $("#error").textContent = "";
  const resp = await fetch(path, init);
  const body = await resp.json();
  if (resp.ok) return body;
  showError(resp.status, body);
  return null;
}
