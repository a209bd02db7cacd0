// The playground page: controls -> JSON requests; snapshots (server-sent events) -> drawing.
// The page owns no math: the server trains with vectorlearn's core and sends what to draw.
"use strict";

const $ = (id) => document.getElementById(id);
const FEATURES = ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"];
const state = { snapshot: null, diagram: null, structure: "", layer: 1, hidden: [4],
                lastMatrices: 0 };
window.playground = state; // for tests and the curious

function showMessage(text, isError) {
  $("message").textContent = text || "";
  $("message").className = isError ? "error" : "";
}

async function api(method, path, body) {
  const options = { method };
  if (body !== undefined) {
    options.body = typeof body === "string" ? body : JSON.stringify(body);
    options.headers = { "Content-Type": typeof body === "string" ? "text/csv" : "application/json" };
  }
  let response;
  try {
    response = await fetch(path, options);
  } catch (e) {
    showMessage("the playground server does not answer: is it still running?", true);
    throw e;
  }
  const type = response.headers.get("Content-Type") || "";
  const data = type.includes("json") ? await response.json() : await response.text();
  if (!response.ok) {
    showMessage(data.error || String(data), true);
    throw new Error(data.error || String(data));
  }
  return data;
}

// Send a command whose answer is a snapshot, and draw it.
async function command(path, body) {
  try {
    const snap = await api("POST", path, body);
    showMessage("");
    render(snap, true);
  } catch (e) { // the message is on the page; the controls go back to the settings in effect
    if (state.snapshot) showSettings(state.snapshot.settings);
  }
}

function settings() {
  return {
    dataset: $("dataset").value,
    noise: Number($("noise").value) / 100,
    test_fraction: Number($("test-fraction").value) / 100,
    features: FEATURES.filter((f) => $(`feature-${f}`).checked),
    hidden: state.hidden.slice(),
    activation: $("activation").value,
    learning_rate: numberOf("learning-rate"),
    l2: numberOf("l2"),
    dropout: numberOf("dropout"),
    batch_size: numberOf("batch-size"),
    optimizer: $("optimizer").value,
  };
}

// A number input's value, or its raw text when it is not a number (the server says why).
function numberOf(id) {
  const text = $(id).value.trim();
  return text !== "" && Number.isFinite(Number(text)) ? Number(text) : text;
}

function setup() { command("/api/setup", settings()); }

// Show the server's settings in the controls (after a load, a reset or a CSV).
function showSettings(s) {
  $("dataset").value = s.dataset;
  $("noise").value = Math.round(s.noise * 100);
  $("noise-value").textContent = $("noise").value;
  $("test-fraction").value = Math.round(s.test_fraction * 100);
  $("test-value").textContent = $("test-fraction").value;
  FEATURES.forEach((f) => { $(`feature-${f}`).checked = s.features.includes(f); });
  state.hidden = s.hidden.slice();
  $("activation").value = s.activation;
  $("learning-rate").value = s.learning_rate;
  $("l2").value = s.l2;
  $("dropout").value = s.dropout;
  $("batch-size").value = s.batch_size;
  $("optimizer").value = s.optimizer;
  $("n-layers").textContent = `${s.hidden.length} hidden layer${s.hidden.length === 1 ? "" : "s"}`;
}

// Draw a snapshot; one older than the last drawn (a late event) is skipped.
function render(snap, fromCommand) {
  const old = state.snapshot;
  if (old && snap.server === old.server && snap.version < old.version) return;
  state.snapshot = snap;
  const structure = JSON.stringify([snap.sizes, snap.features]);
  if (structure !== state.structure || fromCommand) showSettings(snap.settings);
  if (structure !== state.structure) {
    state.structure = structure;
    state.layer = Math.min(state.layer, snap.sizes.length - 1);
    state.diagram = draw.buildDiagram($("diagram"), snap.sizes, snap.features,
                                      { onLayer: selectLayer, onUnits: changeUnits });
    markLayer();
  }
  draw.updateDiagram(state.diagram, snap);
  draw.drawBoundary($("boundary"), snap);
  draw.drawCurve($("curve"), snap.curve);
  $("epoch").textContent = snap.epoch;
  $("test-cost").textContent = snap.test_cost.toFixed(3);
  $("train-cost").textContent = snap.train_cost.toFixed(3);
  $("test-accuracy").textContent = snap.test_accuracy.toFixed(3);
  $("class-0").textContent = snap.classes[0];
  $("class-1").textContent = snap.classes[1];
  $("play").innerHTML = snap.playing ? "&#10074;&#10074; pause" : "&#9654; play";
  $("csv-option").disabled = snap.settings.dataset !== "csv" && !state.csvLoaded;
  if (snap.message) showMessage(snap.message, true);
  const now = Date.now();
  if (!snap.playing || now - state.lastMatrices > 300) {
    state.lastMatrices = now;
    loadMatrices();
  }
}

function markLayer() {
  document.querySelectorAll(".layer-column").forEach((col) =>
    col.classList.toggle("selected", Number(col.dataset.layer) === state.layer));
  $("mat-layer").textContent = state.layer;
}

function selectLayer(l) {
  if (l === state.layer) return;
  state.layer = l;
  markLayer();
  loadMatrices();
}

function changeUnits(l, delta) {
  const n = state.hidden[l - 1] + delta;
  if (n < 1 || n > 8) {
    showMessage("a hidden layer has 1 to 8 units here", true);
    return;
  }
  state.hidden[l - 1] = n;
  setup();
}

function changeLayers(delta) {
  if (delta > 0) state.hidden.push(state.hidden[state.hidden.length - 1] || 4);
  else state.hidden.pop();
  setup();
}

async function loadMatrices() {
  const layer = state.layer;
  let data;
  try {
    data = await api("GET", `/api/matrices?layer=${layer}`);
  } catch (e) { return; }
  if (layer !== state.layer) return;
  $("mat-batch").textContent = data.batch;
  $("matrices").innerHTML = data.arrays.map((a) => `
    <div class="matrix" id="mat-${a.name.split("_")[0]}">
      <div><span class="name">${a.name}</span> <span class="shape">(${a.shape.join(", ")})</span></div>
      <div class="equation">${a.equation}</div>
      <table>${a.values.map((row) => `<tr>${row.map((v) =>
        `<td class="${v < 0 ? "neg" : "pos"}">${v.toFixed(3)}</td>`).join("")}</tr>`).join("")}
      </table></div>`).join("");
}

async function timeLoops() {
  $("loops-result").textContent = "timing...";
  try {
    const rows = await api("POST", "/api/loops");
    $("loops-result").textContent = rows.map((r) =>
      `m = ${r.m}: for-loops ${(1000 * r.loops_seconds).toFixed(2)} ms, matrices ` +
      `${(1000 * r.matrices_seconds).toFixed(2)} ms (${r.speedup.toFixed(1)}x; ` +
      `same W to ${r.largest_difference.toExponential(0)})`).join("; ") +
      " (logistic regression, one full-batch epoch)";
  } catch (e) { $("loops-result").textContent = ""; }
}

async function showCode() {
  try {
    $("code").textContent = await api("GET", "/api/code");
    $("code").hidden = false;
  } catch (e) { /* the message is on the page */ }
}

async function uploadCsv() {
  const file = $("csv-file").files[0];
  if (!file) return;
  const text = await file.text();
  try {
    const snap = await api("POST", "/api/csv", text);
    state.csvLoaded = true;
    showMessage(`loaded ${file.name}: ${snap.train.length + snap.test.length} points`);
    render(snap, true);
  } catch (e) { /* the message is on the page */ }
}

function listen() {
  const events = new EventSource("/api/stream");
  events.onmessage = (e) => render(JSON.parse(e.data), false);
  events.onerror = () => showMessage("lost the stream from the server; retrying...", true);
  events.onopen = () => { if ($("message").textContent.startsWith("lost")) showMessage(""); };
}

function init() {
  $("features").innerHTML = FEATURES.map((f) =>
    `<label><input type="checkbox" id="feature-${f}"> ${f}</label>`).join("");
  $("dataset").querySelector("option[value=csv]").id = "csv-option";
  FEATURES.forEach((f) => $(`feature-${f}`).addEventListener("change", setup));
  for (const id of ["dataset", "activation", "learning-rate", "l2", "dropout", "batch-size",
                    "optimizer", "noise", "test-fraction"]) {
    $(id).addEventListener("change", setup);
  }
  $("noise").addEventListener("input", () => { $("noise-value").textContent = $("noise").value; });
  $("test-fraction").addEventListener("input",
    () => { $("test-value").textContent = $("test-fraction").value; });
  $("play").addEventListener("click",
    () => command(state.snapshot && state.snapshot.playing ? "/api/pause" : "/api/play"));
  $("step").addEventListener("click", () => command("/api/step"));
  $("reset").addEventListener("click", () => command("/api/reset"));
  $("add-layer").addEventListener("click", () => changeLayers(1));
  $("remove-layer").addEventListener("click", () => changeLayers(-1));
  $("loops").addEventListener("click", timeLoops);
  $("show-code").addEventListener("click", showCode);
  $("csv-file").addEventListener("change", uploadCsv);
  api("GET", "/api/state").then((snap) => render(snap, true)).finally(listen);
}

init();
