// mcrisk what-if page: controls -> GET /api/view -> summary cards, histogram, tornado, attribution.
// Plain JavaScript, no library: the charts are SVG drawn from the JSON the server sends.
"use strict";

const token = document.querySelector('meta[name="mcrisk-token"]').content;
const state = { held: {}, spread: {}, study: null, seq: 0, shown: 0, inflight: false, queued: false, base: null };
// Change-to-screen times (ms) of every change shown: the benchmark reads them.
window.mcrisk = { times: [], rendered: 0, last: null };
const started = {};  // seq -> performance.now() of the change

const MINUS = "\u2212";
const SI = [[1e12, "T"], [1e9, "B"], [1e6, "M"], [1e3, "k"]];

function num(x, digits = 3) {
  if (x === null || x === undefined || !isFinite(x)) return "n/a";
  const a = Math.abs(x);
  let text;
  const si = SI.find(([v]) => a >= v);
  if (si) text = (a / si[0]).toPrecision(digits).replace(/\.?0+$/, "") + " " + si[1];
  else if (a >= 100) text = a.toFixed(0);
  else if (a === 0) text = "0";
  else text = a.toPrecision(digits).replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, "");
  return (x < 0 ? MINUS : "") + text;
}
function pct(p, digits = 1) { return p === null ? "n/a" : (100 * p).toFixed(digits) + "%"; }
function share(unit) { return unit === "1"; }
function val(x, unit) { return share(unit) ? pct(x, 1) : num(x); }
function unitText(unit) { return share(unit) ? "" : unit; }
function el(tag, attrs = {}, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}
function esc(s) { return String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c])); }

function query() {
  const parts = [];
  for (const [k, v] of Object.entries(state.held)) parts.push("set=" + encodeURIComponent(k + ":" + v));
  for (const [k, v] of Object.entries(state.spread)) parts.push("spread=" + encodeURIComponent(k + ":" + v));
  return parts.join("&");
}

function status(text, error = false) {
  const s = document.getElementById("status");
  s.textContent = text;
  s.className = error ? "error" : "";
}

// One request at a time; changes made meanwhile are sent together when it returns.
function changed() {
  state.seq += 1;
  started[state.seq] = performance.now();
  if (state.inflight) { state.queued = true; return; }
  send();
}

async function send() {
  state.inflight = true;
  state.queued = false;
  const seq = state.seq;
  try {
    const r = await fetch("/api/view?" + query());
    const body = await r.json();
    if (!r.ok) status(body.error || r.statusText, true);
    else render(body, seq);
  } catch (err) {
    status("the server does not answer: " + err, true);
  }
  state.inflight = false;
  if (state.queued) send();
  else if (seq === state.seq) markShown(seq);
}

function markShown(seq) {
  // after the frame that shows the change is painted: a task queued from the frame's callback
  requestAnimationFrame(() => setTimeout(() => {
    const now = performance.now();
    for (const k of Object.keys(started)) {
      if (+k <= seq) { window.mcrisk.times.push(now - started[k]); delete started[k]; }
    }
    window.mcrisk.rendered = seq;
    document.body.dataset.rendered = String(seq);
  }, 0));
}

function render(view, seq) {
  const s = view.summary, out = state.study.output;
  window.mcrisk.last = view;
  const set = (id, text, value) => {
    const e = document.getElementById(id);
    e.textContent = text;
    if (value !== undefined) e.dataset.value = String(value);
  };
  set("p_loss", pct(s.p_loss), s.p_loss);
  set("p_loss_se", "\u00b1 " + pct(s.p_loss_se, 2) + " (Monte Carlo s.e.)", s.p_loss_se);
  for (const k of ["p50", "p05", "p95"]) set(k, val(s[k], s.units), s[k]);
  for (const k of ["unit50", "unit05", "unit95"]) set(k, unitText(s.units));
  status(view.notes.length ? "note: " + view.notes.join("; ") : `${s.samples.toLocaleString("en")} samples, ${s.method}, seed ${s.seed}`);
  if (!state.base) state.base = view.histogram;
  drawHistogram(view.histogram, s, out);
  drawTornado(view.tornado, s.units);
  drawAttribution(view.attribution);
}

function drawHistogram(h, s, out) {
  const svg = document.getElementById("hist"), W = 900, H = 240, L = 20, R = 20, T = 26, B = 40;
  const lo = Math.min(h.lo, state.base.lo), hi = Math.max(h.hi, state.base.hi);
  const x = (v) => L + (W - L - R) * (hi > lo ? (v - lo) / (hi - lo) : 0.5);
  const n = h.counts.length, peak = Math.max(1, ...h.counts), c = state.study.colours;
  let g = "";
  for (let i = 0; i < n; i++) {
    const a = h.lo + (h.hi - h.lo) * i / n, b = h.lo + (h.hi - h.lo) * (i + 1) / n;
    const y = T + (H - T - B) * (1 - h.counts[i] / peak);
    const fill = (a + b) / 2 < 0 && out.loss_word === "loss" ? c.loss : c.gain;
    g += `<rect x="${x(a).toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(0.5, x(b) - x(a) - 0.6).toFixed(1)}" height="${(H - B - y).toFixed(1)}" fill="${fill}" opacity="0.85"/>`;
  }
  g += `<line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="#333"/>`;
  if (lo < 0 && hi > 0) g += `<line x1="${x(0)}" x2="${x(0)}" y1="${T}" y2="${H - B}" stroke="#000" stroke-width="2"/><text x="${x(0) + 4}" y="${Math.abs(x(0) - x(s.p50)) < 140 ? T + 34 : T + 14}" font-size="14">0</text>`;
  // the median above the bars, P5 and P95 below the axis (moved apart when they would overlap)
  const ends = [x(s.p05), x(s.p95)];
  if (ends[1] - ends[0] < 190) { const mid = (ends[0] + ends[1]) / 2; ends[0] = mid - 95; ends[1] = mid + 95; }
  for (const [k, name, X, y] of [["p05", "P5", ends[0], H - B + 20], ["p50", "median", x(s.p50), T - 8],
                                  ["p95", "P95", ends[1], H - B + 20]]) {
    g += `<line x1="${x(s[k])}" x2="${x(s[k])}" y1="${T}" y2="${H - B}" stroke="${c.grey}" stroke-dasharray="5 4" stroke-width="2"/>`;
    const anchor = X < L + 80 ? "start" : X > W - R - 80 ? "end" : "middle";
    g += `<text x="${X}" y="${y}" text-anchor="${anchor}" font-size="15">${name} ${esc(val(s[k], s.units))}</text>`;
  }
  svg.innerHTML = g;
  document.getElementById("dist-title").textContent =
    `${out.label} (${unitText(s.units) || "share"}): ${state.study.output.loss_word === "loss" ? "loss in vermillion" : ""}`.replace(/: $/, "");
}

function drawTornado(t, unit) {
  const svg = document.getElementById("tornado"), rows = t.rows.slice(0, 10), c = state.study.colours;
  const W = 560, rowH = 26, L = 230, R = 16, T = 10, H = T + rowH * Math.max(1, rows.length) + 34;
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  if (!rows.length) { svg.innerHTML = `<text x="10" y="30">every input is held or constant</text>`; return; }
  let lo = t.base, hi = t.base;
  for (const r of rows) { lo = Math.min(lo, r.output_low, r.output_high); hi = Math.max(hi, r.output_low, r.output_high); }
  const x = (v) => L + (W - L - R) * (hi > lo ? (v - lo) / (hi - lo) : 0.5);
  let g = "";
  rows.forEach((r, i) => {
    const y = T + i * rowH;
    for (const [v, col] of [[r.output_low, c.low], [r.output_high, c.high]]) {
      const a = Math.min(x(v), x(t.base)), w = Math.abs(x(v) - x(t.base));
      g += `<rect x="${a.toFixed(1)}" y="${y + 3}" width="${Math.max(1, w).toFixed(1)}" height="${rowH - 7}" fill="${col}"/>`;
    }
    g += `<text x="${L - 8}" y="${y + rowH / 2 + 5}" text-anchor="end">${esc(short(r.label))}</text>`;
  });
  const yb = T + rows.length * rowH;
  g += `<line x1="${x(t.base)}" x2="${x(t.base)}" y1="${T}" y2="${yb}" stroke="#000" stroke-width="1.5"/>`;
  g += `<text x="${x(t.base)}" y="${yb + 18}" text-anchor="middle">base ${esc(val(t.base, unit))}</text>`;
  g += `<text x="${W - R}" y="${yb + 32}" text-anchor="end" font-size="13"><tspan fill="${c.low}">\u25A0</tspan> P${Math.round(t.low * 100)}  <tspan fill="${c.high}">\u25A0</tspan> P${Math.round(t.high * 100)}</text>`;
  svg.innerHTML = g;
}

function drawAttribution(rows) {
  const svg = document.getElementById("attr"), c = state.study.colours, top = rows.slice(0, 10);
  const W = 560, rowH = 26, L = 230, R = 50, T = 10, H = T + rowH * Math.max(1, top.length) + 10;
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  const x = (v) => L + (W - L - R) * Math.max(0, Math.min(1, v));
  let g = "";
  top.forEach((r, i) => {
    const y = T + i * rowH;
    g += `<rect x="${L}" y="${y + 3}" width="${Math.max(1, x(r.share) - L).toFixed(1)}" height="${rowH - 7}" fill="${c.gain}"/>`;
    g += `<text x="${L - 8}" y="${y + rowH / 2 + 5}" text-anchor="end">${esc(short(r.label))}</text>`;
    g += `<text x="${x(r.share) + 6}" y="${y + rowH / 2 + 5}">${pct(r.share, 0)}</text>`;
  });
  svg.innerHTML = g || `<text x="10" y="30">every input is held or constant</text>`;
}

function short(label) { return label.length > 28 ? label.slice(0, 27) + "\u2026" : label; }

function slider(min, max, value) {
  const step = (max - min) / 400;
  return el("input", { type: "range", min: String(min), max: String(max), step: String(step), value: String(value) });
}

function uncertainControl(box, inp) {
  const hold = el("input", { type: "checkbox", id: "hold-" + inp.name });
  const s = slider(inp.lo, inp.hi, inp.median);
  s.id = "value-" + inp.name;
  s.disabled = true;
  const shown = el("output", {}, val(inp.median, inp.unit));
  const r1 = el("div", { class: "row" });
  const lab = el("label", { for: hold.id });
  lab.append(hold, " hold at");
  r1.append(lab, s, shown);
  const k = el("input", { type: "range", min: "0.25", max: "2", step: "0.05", value: "1", id: "spread-" + inp.name });
  const kShown = el("output", {}, "\u00d71.00");
  const r2 = el("div", { class: "row" });
  r2.append(el("label", { for: k.id, title: "scale the spread about the median: \u00d70.5 halves every quantile's distance from it" }, "spread"), k, kShown);
  box.append(r1, r2);
  hold.addEventListener("change", () => {
    s.disabled = !hold.checked;
    k.disabled = hold.checked;
    if (hold.checked) { state.held[inp.name] = s.value; delete state.spread[inp.name]; }
    else { delete state.held[inp.name]; if (k.value !== "1") state.spread[inp.name] = k.value; }
    changed();
  });
  s.addEventListener("input", () => { shown.textContent = val(+s.value, inp.unit); state.held[inp.name] = s.value; changed(); });
  k.addEventListener("input", () => {
    kShown.textContent = "\u00d7" + (+k.value).toFixed(2);
    if (k.value === "1") delete state.spread[inp.name]; else state.spread[inp.name] = k.value;
    changed();
  });
  box.reset = () => { hold.checked = false; s.disabled = true; k.disabled = false; s.value = inp.median; k.value = "1";
                      shown.textContent = val(inp.median, inp.unit); kShown.textContent = "\u00d71.00"; };
}

function constantControl(box, inp) {
  const f = el("input", { type: "number", value: String(inp.value), step: "any", id: "value-" + inp.name });
  const r = el("div", { class: "row" });
  r.append(el("label", { for: f.id }, "value"), f);
  let s = null;
  if (inp.lever) {
    const lo = Math.min(inp.lever.lo, inp.value), hi = Math.max(inp.lever.hi, inp.value);
    s = slider(lo, hi, inp.value);
    s.id = "lever-" + inp.name;
    r.append(s);
    s.addEventListener("input", () => { f.value = s.value; state.held[inp.name] = s.value; changed(); });
  }
  box.append(r);
  f.addEventListener("change", () => {
    if (f.value === "" || !isFinite(+f.value)) return;
    if (+f.value === inp.value) delete state.held[inp.name]; else state.held[inp.name] = f.value;
    if (s) s.value = f.value;
    changed();
  });
  box.reset = () => { f.value = String(inp.value); if (s) s.value = String(inp.value); };
}

function build(study) {
  state.study = study;
  document.title = study.title + " \u2014 mcrisk what-if";
  document.getElementById("title").textContent = study.title;
  document.getElementById("run").textContent =
    `${study.file} \u00b7 ${study.samples.toLocaleString("en")} samples, ${study.method}, seed ${study.seed} \u00b7 money per ${study.period}`;
  document.getElementById("ploss").querySelector(".k").textContent = study.output.loss_word === "loss" ? "P(loss)" : "P(below zero)";
  document.getElementById("tornado-title").textContent = "Tornado: each input alone from its low to its high quantile";
  const root = document.documentElement.style;
  for (const [k, v] of Object.entries({ loss: study.colours.loss, gain: study.colours.gain, low: study.colours.low, high: study.colours.high })) root.setProperty("--" + k, v);
  const list = document.getElementById("inputs");
  const order = [...study.inputs].sort((a, b) => (a.kind === "constant" && !a.lever) - (b.kind === "constant" && !b.lever));
  for (const inp of order) {
    const box = el("div", { class: "input" + (inp.lever ? " lever" : ""), "data-name": inp.name });
    box.append(el("div", { class: "name" }, inp.label));
    const unit = share(inp.unit) ? "a ratio, shown as %" : inp.unit;
    box.append(el("div", { class: "unit" }, (unit ? unit + " \u00b7 " : "") + (inp.kind === "uncertain" ? inp.distribution : "constant")));
    if (inp.kind === "uncertain") uncertainControl(box, inp);
    else constantControl(box, inp);
    list.append(box);
  }
}

async function save() {
  const out = document.getElementById("saved");
  out.textContent = "saving\u2026";
  const r = await fetch("/api/save?" + query(), { method: "POST", headers: { "X-Mcrisk-Token": token } });
  const body = await r.json();
  if (!r.ok) { out.textContent = "not saved: " + body.error; return; }
  out.innerHTML = `Saved <code>${esc(body.file)}</code>. <code>${esc(body.command)}</code> gives these numbers.`;
  out.dataset.file = body.path;
}

async function sobol() {
  const button = document.getElementById("sobol"), bar = document.getElementById("sobol-progress");
  const text = document.getElementById("sobol-text"), out = document.getElementById("sobol-out");
  button.disabled = true;
  const r = await fetch("/api/sobol?" + query(), { method: "POST", headers: { "X-Mcrisk-Token": token } });
  let body = await r.json();
  if (!r.ok) { text.textContent = body.error; button.disabled = false; return; }
  bar.hidden = false;
  out.textContent = "";
  while (body.state === "running") {
    bar.value = Math.min(0.97, body.elapsed / body.expected);
    text.textContent = `${body.elapsed.toFixed(1)} s of about ${body.expected.toFixed(0)} s (${body.model_runs.toLocaleString("en")} model runs)`;
    await new Promise((ok) => setTimeout(ok, 250));
    body = await (await fetch("/api/sobol")).json();
  }
  bar.value = 1;
  button.disabled = false;
  if (body.state !== "done") { text.textContent = "failed: " + body.error; return; }
  const res = body.result;
  text.textContent = `done in ${body.elapsed.toFixed(1)} s, ${res.model_runs.toLocaleString("en")} model runs`;
  const f = (v) => (v === null ? "n/a" : v.toFixed(2));
  let h = "<table><tr><th>input</th><th>first order S1</th><th>total ST</th></tr>";
  for (const row of res.rows) h += `<tr><td>${esc(row.label)}</td><td>${f(row.S1)} \u00b1 ${f(row.S1_conf)}</td><td>${f(row.ST)} \u00b1 ${f(row.ST_conf)}</td></tr>`;
  out.innerHTML = h + "</table>" + (res.notes.length ? `<p class="note">${esc(res.notes.join("; "))}</p>` : "");
}

async function main() {
  const r = await fetch("/api/study");
  const study = await r.json();
  if (!r.ok) { status(study.error, true); return; }
  build(study);
  document.getElementById("reset").addEventListener("click", () => {
    state.held = {};
    state.spread = {};
    for (const box of document.querySelectorAll(".input")) if (box.reset) box.reset();
    changed();
  });
  document.getElementById("save").addEventListener("click", save);
  document.getElementById("sobol").addEventListener("click", sobol);
  changed();
}

main();
