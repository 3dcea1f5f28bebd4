/* statuspage.js: the status page's script (doc/api.md, "Status page"): polls the JSON API
 * and builds the DOM from text nodes only (no innerHTML: the page's CSP requires
 * Trusted Types for every HTML sink). */
"use strict";
var POLL_MS = 3000, EVENTS_KEPT = 30;
var events = [], lastId = 0;
var tokenBox = document.getElementById("token");
try { tokenBox.value = sessionStorage.getItem("dockscale-token") || ""; } catch (e) {}
tokenBox.addEventListener("change", function () {
  try { sessionStorage.setItem("dockscale-token", tokenBox.value); } catch (e) {}
});

function el(tag, attrs, text) {
  var e = document.createElement(tag);
  for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  return e;
}
function svgEl(tag, attrs) {
  var e = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (var k in attrs) e.setAttribute(k, attrs[k]);
  return e;
}
function getJSON(path) {
  return fetch(path, { cache: "no-store" }).then(function (r) {
    if (!r.ok) throw new Error(path + ": HTTP " + r.status);
    return r.json();
  });
}
function fmt(v) { return v === null || v === undefined ? "–" : (+v).toFixed(1); }

/* Replicas (ready, desired) and the metric over the history's span, one SVG. */
function chart(hist, svc, ex) {
  var W = 640, H = 140, P = 28;
  var svg = svgEl("svg", { "class": "chart", width: W, height: H,
    viewBox: "0 0 " + W + " " + H, role: "img" });
  var pts = hist.points || [];
  if (pts.length === 0) {
    var t = svgEl("text", { x: P, y: H / 2, fill: "#888" });
    t.textContent = "no history yet";
    svg.appendChild(t);
    return svg;
  }
  /* The last hour at most; a younger history fills at least five minutes. */
  var now = Date.now(), t1 = now;
  var t0 = Math.max(now - 3600 * 1000, Math.min(pts[0].t, now - 300 * 1000));
  var maxR = Math.max(svc.max_replicas || 1, 1), maxM = 0;
  var m = ex && ex.metric;
  pts.forEach(function (p) { if (p.metric !== null) maxM = Math.max(maxM, p.metric); });
  if (m) maxM = Math.max(maxM, m.up_threshold || 0, (m.target || 0) * 1.5);
  if (maxM <= 0) maxM = 1;
  function x(t) { return P + (W - 2 * P) * Math.max(t - t0, 0) / Math.max(t1 - t0, 1); }
  function yr(v) { return H - P + 4 - (H - 2 * P) * v / maxR; }
  function ym(v) { return H - P + 4 - (H - 2 * P) * v / maxM; }
  svg.appendChild(svgEl("line", { x1: P, y1: H - P + 4, x2: W - P, y2: H - P + 4,
    stroke: "#ccc" }));
  function line(key, y, color, dash) {
    var s = [];
    pts.forEach(function (p) { if (p[key] !== null) s.push(x(p.t).toFixed(1) + "," + y(p[key]).toFixed(1)); });
    if (s.length === 0) return;
    /* Up to now: the last value still holds. */
    var last = pts[pts.length - 1];
    if (last[key] !== null) s.push(x(now).toFixed(1) + "," + y(last[key]).toFixed(1));
    var a = { points: s.join(" "), fill: "none", stroke: color, "stroke-width": 2,
      "data-series": key };
    if (dash) a["stroke-dasharray"] = "4 3";
    svg.appendChild(svgEl("polyline", a));
  }
  line("desired", yr, "#888", true);
  line("ready", yr, "#0969da", false);
  line("metric", ym, "#cf222e", false);
  var lab = svgEl("text", { x: 2, y: 14, fill: "#555", "font-size": 10 });
  lab.textContent = "max " + maxR + " replicas / metric " + maxM.toFixed(0);
  svg.appendChild(lab);
  var l2 = svgEl("text", { x: W - P - 40, y: H - 4, fill: "#555", "font-size": 10 });
  l2.textContent = "now";
  svg.appendChild(l2);
  var l3 = svgEl("text", { x: P, y: H - 4, fill: "#555", "font-size": 10 });
  l3.textContent = "-" + Math.round((t1 - t0) / 60000) + " min";
  svg.appendChild(l3);
  return svg;
}

function post(name, what) {
  var h = { "Content-Type": "application/json" };
  if (tokenBox.value) h["Authorization"] = "Bearer " + tokenBox.value;
  fetch("/api/v1/services/" + encodeURIComponent(name) + "/" + what,
    { method: "POST", headers: h, body: "{}" })
    .then(function (r) { return r.json().then(function (b) {
      if (!r.ok) throw new Error(what + ": " + (b.error || r.status)); }); })
    .then(refresh, showErr);
}

function metricText(svc, ex) {
  var m = ex && ex.metric;
  if (!m) return "metric: none";
  var s = m.name + " " + fmt(m.value);
  if (m.up_threshold !== undefined) s += " (up " + fmt(m.up_threshold) + " / down " + fmt(m.down_threshold) + ")";
  else s += " (target " + fmt(m.target) + ")";
  return s;
}

/* The balancer's figures (doc/traffic.md): rate, in flight, latency; or why none. */
function trafficText(svc) {
  var t = svc.traffic;
  if (!t || !t.source) return null;
  if (!t.have) return "traffic: none yet (" + t.why + ")";
  var s = "traffic: " + fmt(t.requests_per_s) + " req/s, " + fmt(t.in_flight) + " in flight";
  if (t.latency_ms !== null)
    s += ", " + (t.latency_percentile !== null ? "p" + t.latency_percentile : "average") + " " + fmt(t.latency_ms) + " ms";
  return s;
}

// The scheduled window in force and the next change, as explain says it (doc/scaling.md,
// "Scheduled bounds").
function scheduleText(ex) {
  if (!ex || !ex.lines) return null;
  for (var i = 0; i < ex.lines.length; i++)
    if (ex.lines[i].indexOf("schedule: ") === 0) return ex.lines[i];
  return null;
}

function card(svc, ex, hist) {
  var c = el("div", { "class": "svc", "data-service": svc.name });
  var h = el("h2");
  h.appendChild(el("span", { "class": "name" }, svc.name));
  h.appendChild(el("span", { "class": "count" }, svc.ready + "/" + svc.desired));
  h.appendChild(el("span", { "class": "badge" }, "ready/desired"));
  if (svc.paused) h.appendChild(el("span", { "class": "badge paused" }, "paused at " + svc.paused_replicas));
  if (svc.sleep && svc.sleep.asleep)
    h.appendChild(el("span", { "class": "badge asleep" }, "asleep since " +
      new Date(svc.sleep.since_unix_ms).toLocaleTimeString()));
  if (svc.start_failures > 0) h.appendChild(el("span", { "class": "badge bad" }, svc.start_failures + " failed start(s)"));
  var b = el("button", {}, svc.paused ? "resume" : "pause");
  b.addEventListener("click", function () { post(svc.name, svc.paused ? "resume" : "pause"); });
  h.appendChild(b);
  c.appendChild(h);
  var r = el("div", { "class": "row" });
  var sch = svc.schedule;
  if (sch && sch.active)
    r.appendChild(el("span", {}, "bounds [" + sch.min + ", " + sch.max + "] (scheduled; the service's [" +
      svc.min_replicas + ", " + svc.max_replicas + "])"));
  else
    r.appendChild(el("span", {}, "bounds [" + svc.min_replicas + ", " + svc.max_replicas + "]"));
  r.appendChild(el("span", { "class": "metric" }, metricText(svc, ex)));
  if (ex) r.appendChild(el("span", {}, "next: " + ex.next));
  var tt = trafficText(svc);
  if (tt) r.appendChild(el("span", { "class": "traffic" }, tt));
  c.appendChild(r);
  var st = scheduleText(ex);
  if (st) c.appendChild(el("div", { "class": "why" }, st));
  if (ex && ex.blocking) c.appendChild(el("div", { "class": "why" }, "blocked by: " + ex.blocking));
  else if (svc.last_decision && svc.last_decision.reason)
    c.appendChild(el("div", { "class": "why" }, svc.last_decision.reason));
  var t = el("table");
  var hr = el("tr");
  var traffic = (svc.replicas || []).some(function (x) { return x.traffic; });
  var cols = ["replica", "state", "health", "address", "cpu %"];
  if (traffic) cols = cols.concat(["req/s", "in flight", "latency ms"]);
  cols.forEach(function (k) { hr.appendChild(el("th", {}, k)); });
  t.appendChild(hr);
  (svc.replicas || []).forEach(function (x) {
    var tr = el("tr");
    tr.appendChild(el("td", {}, x.name));
    tr.appendChild(el("td", { "class": "st-" + x.state }, x.state));
    tr.appendChild(el("td", {}, x.health));
    tr.appendChild(el("td", {}, x.address));
    tr.appendChild(el("td", {}, fmt(x.cpu_percent)));
    if (traffic) {
      var q = x.traffic || {};
      tr.appendChild(el("td", {}, fmt(q.requests_per_s)));
      tr.appendChild(el("td", {}, fmt(q.in_flight)));
      tr.appendChild(el("td", {}, fmt(q.latency_ms)));
    }
    t.appendChild(tr);
  });
  c.appendChild(t);
  c.appendChild(chart(hist, svc, ex));
  var lg = el("div", { "class": "legend" });
  lg.append(el("span", { "class": "r" }, "\u25ac ready"), " ",
    el("span", { "class": "d" }, "- - desired"), " ",
    el("span", { "class": "m" }, "\u25ac metric"), " (last hour)");
  c.appendChild(lg);
  return c;
}

function showErr(e) { document.getElementById("err").textContent = String(e && e.message || e); }

function renderEvents() {
  var ol = document.getElementById("evlist");
  ol.textContent = "";
  events.slice().reverse().forEach(function (e) {
    var li = el("li");
    li.appendChild(el("span", { "class": "t" }, e.time.replace("T", " ").slice(0, 19) + " "));
    li.appendChild(el("span", { "class": "k" }, e.type + " "));
    li.appendChild(document.createTextNode(e.message));
    ol.appendChild(li);
  });
}

function refresh() {
  return getJSON("/api/v1/services").then(function (all) {
    var svcs = all.services || [];
    document.getElementById("meta").textContent = svcs.length + " service(s) · Docker " +
      (all.docker_up ? "up" : "DOWN") + (all.dry_run ? " · dry run" : "") +
      " · updated " + new Date().toLocaleTimeString();
    return Promise.all(svcs.map(function (s) {
      var base = "/api/v1/services/" + encodeURIComponent(s.name);
      return Promise.all([getJSON(base + "/explain").catch(function () { return null; }),
        getJSON(base + "/history").catch(function () { return { points: [] }; })])
        .then(function (x) { return card(s, x[0], x[1]); });
    }));
  }).then(function (cards) {
    var box = document.getElementById("services");
    box.textContent = "";
    cards.forEach(function (c) { box.appendChild(c); });
    return getJSON("/api/v1/events?limit=1000&since=" + lastId);
  }).then(function (ev) {
    events = events.concat(ev.events).slice(-EVENTS_KEPT);
    lastId = ev.last_id;
    renderEvents();
    document.getElementById("err").textContent = "";
  }).catch(showErr);
}

refresh();
setInterval(refresh, POLL_MS);
