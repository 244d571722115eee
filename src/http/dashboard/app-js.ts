/**
 * The dashboard's browser script: sign-in, polling the JSON API with the token from session
 * storage, and rendering queues, charts, dead tasks, task and job look-ups. Text goes in through
 * textContent only (task errors and inputs are user data). Kept in a string served as
 * /dashboard/app.js; it must not contain backticks or dollar-braces.
 */
import { CHART_JS } from "./chart-js";
import { PANELS_JS } from "./panels-js";
import { FLOW_JS } from "./flow-js";

const APP = String.raw`
var TOKEN_KEY = "edgeq.token";
// each poll costs about a dozen Redis commands per queue: often enough to watch, cheap enough to leave open
var POLL_MS = 5000;
var state = { selected: null, queues: [], timer: null, openDead: {}, tracked: null };
function $(id) { return document.getElementById(id); }
function el(tag, cls, text) {
  var e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}
function token() { return sessionStorage.getItem(TOKEN_KEY); }

function ApiError(status, detail) { this.status = status; this.message = detail; }
function api(method, path, body) {
  var init = { method: method, headers: { authorization: "Bearer " + token() }, cache: "no-store" };
  if (body !== undefined) { init.headers["content-type"] = "application/json"; init.body = JSON.stringify(body); }
  return fetch(path, init).then(function (res) {
    return res.text().then(function (text) {
      var data = null;
      try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
      if (res.status === 401) { signOut("The token was refused: sign in again."); throw new ApiError(401, "unauthorized"); }
      if (!res.ok) throw new ApiError(res.status, (data && (data.detail || data.title)) || res.statusText);
      return data;
    });
  });
}

function ms(v) {
  if (v === null || v === undefined) return "–";
  if (v < 1000) return (Math.round(v * 10) / 10) + " ms";
  if (v < 60000) return (Math.round(v / 100) / 10) + " s";
  if (v < 3600000) return (Math.round(v / 6000) / 10) + " min";
  return (Math.round(v / 360000) / 10) + " h";
}
function setStatus(text) { $("status").textContent = text; }

function signIn(value) {
  sessionStorage.setItem(TOKEN_KEY, value);
  return api("GET", "/v1/queues").then(function (data) { show(true); render(data); schedule(); });
}
function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  if (state.timer) clearTimeout(state.timer);
  state.timer = null;
  show(false);
  $("login-error").textContent = message || "";
}
function show(app) {
  $("login").hidden = app;
  $("app").hidden = !app;
  $("logout").hidden = !app;
  if (!app) { setStatus(""); $("token").value = ""; $("token").focus(); }
}

function schedule() {
  if (state.timer) clearTimeout(state.timer);
  state.timer = setTimeout(refresh, POLL_MS);
}
function refresh() {
  if (!token()) return;
  if (document.hidden) { schedule(); return; }
  api("GET", "/v1/queues").then(render).then(function () {
    setStatus("live · every " + POLL_MS / 1000 + " s");
  }).catch(function (e) { if (e.status !== 401) setStatus("cannot reach the API: " + e.message); })
    .then(function () { if (token()) schedule(); });
}

function render(data) {
  state.queues = data.queues;
  var names = data.queues.map(function (q) { return q.name; });
  if (!state.selected || names.indexOf(state.selected) < 0) state.selected = names[0] || null;
  renderQueues();
  var q = data.queues.filter(function (x) { return x.name === state.selected; })[0];
  $("charts").hidden = !q;
  $("dead").hidden = !q;
  $("updated").textContent = "updated " + new Date().toLocaleTimeString();
  refreshPanels();
  if (!q) return Promise.resolve();
  renderCharts(q);
  return Promise.all([loadDead(q.name), loadFlow(q.name)]);
}

function renderQueues() {
  var body = document.querySelector("#queues tbody");
  body.textContent = "";
  $("no-queues").hidden = state.queues.length > 0;
  state.queues.forEach(function (q) {
    var tr = el("tr", q.name === state.selected ? "selected" : "");
    tr.dataset.queue = q.name;
    var c = q.counts, s = q.stats;
    var name = el("td", "mono", q.name);
    if (q.settings.paused) name.appendChild(el("span", "pill", "paused"));
    tr.appendChild(name);
    [["queued", c.queued], ["running", c.running], ["delayed", c.delayed]].forEach(function (p) {
      var td = el("td", "num", p[1]); td.dataset.count = p[0]; tr.appendChild(td);
    });
    var dead = el("td", "num dead-count" + (c.dead > 0 ? " some" : ""), c.dead); dead.dataset.count = "dead"; tr.appendChild(dead);
    tr.appendChild(el("td", "num", s.lastHour.succeeded));
    tr.appendChild(el("td", "num", s.lastHour.failed));
    tr.appendChild(el("td", "num", ms(s.runTime.p50)));
    tr.appendChild(el("td", "num", ms(s.runTime.p95)));
    tr.appendChild(el("td", "num", ms(s.oldestWaitingMs)));
    tr.appendChild(el("td", "num", s.activeInvocations));
    tr.addEventListener("click", function () { state.selected = q.name; state.openDead = {}; render({ queues: state.queues }); });
    body.appendChild(tr);
  });
}

function renderCharts(q) {
  var m = q.stats.minutes;
  var times = m.map(function (x) { return x.at; });
  var pick = function (k) { return m.map(function (x) { return x[k]; }); };
  var sum = function (k) { return q.stats.lastHour[k]; };
  $("chart-queue").textContent = q.name;
  drawChart($("throughput-chart"), times, [
    { name: "enqueued", cls: "s1", values: pick("enqueued"), total: sum("enqueued") },
    { name: "succeeded", cls: "s2", values: pick("succeeded"), total: sum("succeeded") },
    { name: "failed", cls: "s3", values: pick("failed"), total: sum("failed") },
    { name: "dead", cls: "s4", values: pick("dead"), total: sum("dead") }
  ], $("throughput-legend"), true);
  drawChart($("latency-chart"), times, [
    { name: "p50", cls: "s1", values: pick("runP50Ms") },
    { name: "p95", cls: "s3", values: pick("runP95Ms") }
  ], $("latency-legend"), false);
  var f = $("figures");
  f.textContent = "";
  var s = q.stats;
  [["Run time p50 / p95 / p99", ms(s.runTime.p50) + " / " + ms(s.runTime.p95) + " / " + ms(s.runTime.p99)],
   ["Wait p50 / p95", ms(s.wait.p50) + " / " + ms(s.wait.p95)],
   ["Oldest waiting", ms(s.oldestWaitingMs)],
   ["Active invocations", s.activeInvocations],
   ["Enqueued (total)", q.counts.enqueued]].forEach(function (p) {
    var d = el("div"); d.appendChild(el("dt", "", p[0])); d.appendChild(el("dd", "", p[1])); f.appendChild(d);
  });
}

function loadDead(queue) {
  return api("GET", "/v1/queues/" + encodeURIComponent(queue) + "/dead?limit=50").then(function (data) {
    $("dead-queue").textContent = queue;
    var list = $("dead-list");
    list.textContent = "";
    $("dead-empty").hidden = data.tasks.length > 0;
    $("retry-all").disabled = data.tasks.length === 0;
    $("delete-all").disabled = data.tasks.length === 0;
    data.tasks.forEach(function (t) { list.appendChild(deadItem(queue, t)); });
  });
}
function deadItem(queue, t) {
  var li = el("li");
  li.dataset.task = t.id;
  var details = el("details");
  details.open = !!state.openDead[t.id];
  details.addEventListener("toggle", function () { state.openDead[t.id] = details.open; });
  var summary = el("summary", "dead-row");
  summary.appendChild(el("span", "mono", t.id));
  summary.appendChild(el("span", "muted", t.fn + " · " + t.attempts + (t.attempts === 1 ? " attempt" : " attempts")));
  summary.appendChild(el("span", "err", t.error || ""));
  var btns = el("span", "btns");
  var retry = el("button", "", "Retry"); retry.type = "button"; retry.dataset.action = "retry";
  var del = el("button", "danger", "Delete"); del.type = "button"; del.dataset.action = "delete";
  retry.addEventListener("click", function (e) { e.preventDefault(); deadAction(queue, "retry", [t.id]); });
  del.addEventListener("click", function (e) { e.preventDefault(); deadAction(queue, "delete", [t.id]); });
  btns.appendChild(retry); btns.appendChild(del);
  summary.appendChild(btns);
  details.appendChild(summary);
  var more = el("div", "detail");
  more.appendChild(el("div", "muted", "died " + new Date(t.finishedAt).toLocaleString() + " · created " + new Date(t.createdAt).toLocaleString()));
  var errs = el("ol", "errors");
  (t.errors || [t.error]).forEach(function (x) { errs.appendChild(el("li", "", x)); });
  more.appendChild(errs);
  more.appendChild(el("pre", "", "input: " + JSON.stringify(t.input, null, 2)));
  details.appendChild(more);
  li.appendChild(details);
  return li;
}
function deadAction(queue, action, ids) {
  if (action === "delete" && !confirm(ids ? "Delete this dead task?" : "Delete every dead task of " + queue + "?")) return;
  var path = "/v1/queues/" + encodeURIComponent(queue) + "/dead" + (action === "retry" ? "/retry" : "");
  var body = ids ? { ids: ids } : undefined;
  api(action === "retry" ? "POST" : "DELETE", path, body).then(function (r) {
    setStatus(action === "retry" ? "retried " + r.retried : "deleted " + r.purged);
    if (action === "retry" && ids && ids.length === 1) track(ids[0]);
    refresh();
  }).catch(function (e) { if (e.status !== 401) alert(e.message); });
}

function kv(pairs) {
  var dl = el("dl", "kv");
  pairs.forEach(function (p) {
    if (p[1] === undefined) return;
    dl.appendChild(el("dt", "", p[0]));
    var dd = el("dd", p[2] || "");
    if (p[1] instanceof Node) dd.appendChild(p[1]); else dd.textContent = String(p[1]);
    dl.appendChild(dd);
  });
  return dl;
}
function json(v) { return el("pre", "", JSON.stringify(v, null, 2)); }
function stateText(s) { return el("span", "state state-" + s, s); }

// a task looked up (or retried from the dead list) is followed until it is final
function track(id) {
  $("task-id").value = id;
  state.tracked = id;
  showTask(id, 0);
}
function showTask(id, round) {
  var out = $("task-result");
  var wait = round > 0 && !state.progressing ? "?wait=2" : "";
  api("GET", "/v1/tasks/" + encodeURIComponent(id) + wait).then(function (t) {
    if (state.tracked !== id) return;
    out.textContent = "";
    out.dataset.status = t.status;
    out.appendChild(kv([["id", t.id, "mono"], ["status", stateText(t.status)], ["queue", t.queue], ["function", t.fn],
      ["attempts", t.attempts + " of " + t.maxAttempts], ["created", new Date(t.createdAt).toLocaleString()],
      ["finished", t.finishedAt ? new Date(t.finishedAt).toLocaleString() : "–"], ["error", t.error]]));
    if (t.progress !== undefined) out.appendChild(progressView(t.progress));
    if (t.result !== undefined) out.appendChild(json({ result: t.result }));
    out.appendChild(json({ input: t.input }));
    var final = t.status === "succeeded" || t.status === "dead" || t.status === "canceled";
    // a task reporting progress is re-read each second (a long poll would only answer at its end)
    state.progressing = t.progress !== undefined;
    if (!final && round < 120) {
      if (state.progressing) setTimeout(function () { showTask(id, round + 1); }, 1000);
      else showTask(id, round + 1);
    }
  }).catch(function (e) {
    if (e.status === 401) return;
    out.textContent = "";
    out.appendChild(el("p", "error", e.status === 404 ? "No task " + id : e.message));
  });
}

function showJob(id, round) {
  var out = $("job-result");
  api("GET", "/v1/jobs/" + encodeURIComponent(id) + (round > 0 ? "?wait=2" : "")).then(function (j) {
    out.textContent = "";
    out.dataset.status = j.status;
    var bar = el("div", "progress");
    var done = el("div", "done"), failed = el("div", "failed");
    done.style.width = (j.total ? (100 * j.done) / j.total : 0) + "%";
    failed.style.width = (j.total ? (100 * j.failed) / j.total : 0) + "%";
    bar.appendChild(done); bar.appendChild(failed);
    out.appendChild(bar);
    out.appendChild(kv([["id", j.id, "mono"], ["status", stateText(j.status)], ["progress", j.done + " / " + j.total + " done, " + j.failed + " failed"]]));
    if (j.result !== undefined) out.appendChild(json({ result: j.result }));
    if (j.status === "running" && round < 120) setTimeout(function () { showJob(id, round + 1); }, 500);
  }).catch(function (e) {
    if (e.status === 401) return;
    out.textContent = "";
    out.appendChild(el("p", "error", e.status === 404 ? "No job " + id : e.message));
  });
}

document.addEventListener("DOMContentLoaded", function () {
  $("login-form").addEventListener("submit", function (e) {
    e.preventDefault();
    $("login-error").textContent = "";
    signIn($("token").value.trim()).catch(function (err) {
      if (err.status !== 401) { sessionStorage.removeItem(TOKEN_KEY); $("login-error").textContent = err.message; }
    });
  });
  $("logout").addEventListener("click", function () { signOut(""); });
  $("retry-all").addEventListener("click", function () { if (state.selected) deadAction(state.selected, "retry"); });
  $("delete-all").addEventListener("click", function () { if (state.selected) deadAction(state.selected, "delete"); });
  $("task-form").addEventListener("submit", function (e) { e.preventDefault(); track($("task-id").value.trim()); });
  $("job-form").addEventListener("submit", function (e) { e.preventDefault(); showJob($("job-id").value.trim(), 0); });
  document.addEventListener("visibilitychange", function () { if (!document.hidden && token()) refresh(); });
  var resizing = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizing);
    resizing = setTimeout(function () {
      var q = state.queues.filter(function (x) { return x.name === state.selected; })[0];
      if (q && !$("app").hidden) renderCharts(q);
    }, 150);
  });
  if (token()) { show(true); refresh(); } else show(false);
});
`;

export const DASHBOARD_JS = `"use strict";\n${CHART_JS}\n${APP}\n${PANELS_JS}\n${FLOW_JS}`;
