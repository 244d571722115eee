/**
 * The dashboard's jobs and schedules panels, and the progress of a task being followed: loaded on
 * every poll of the page (app-js.ts), faster while a job runs. Shares app-js's helpers (api, el,
 * kv, json, stateText, ms) in the same served script; no backticks or dollar-braces in here.
 */
export const PANELS_JS = String.raw`
var JOBS_SHOWN = 15;
var JOB_POLL_MS = 1000;
var panels = { jobsTimer: null, openJobs: {} };

function bar(done, failed, total) {
  var b = el("div", "progress");
  var d = el("div", "done"), f = el("div", "failed");
  d.style.width = (total ? (100 * done) / total : 0) + "%";
  f.style.width = (total ? (100 * (failed || 0)) / total : 0) + "%";
  b.appendChild(d); b.appendChild(f);
  return b;
}
function when(t) { return t ? new Date(t).toLocaleString() : "–"; }

// a task's ctx.progress: a bar when it carries numbers done and total, the JSON otherwise
function progressView(p) {
  var box = el("div", "task-progress");
  if (p && typeof p.done === "number" && typeof p.total === "number") {
    box.appendChild(bar(p.done, 0, p.total));
    box.appendChild(el("div", "muted", p.done + " / " + p.total));
  } else box.appendChild(json({ progress: p }));
  return box;
}

function refreshPanels() {
  loadJobs();
  loadSchedules();
}

function loadJobs() {
  return api("GET", "/v1/jobs?limit=" + JOBS_SHOWN).then(function (data) {
    var list = $("jobs-list");
    list.textContent = "";
    $("jobs-empty").hidden = data.jobs.length > 0;
    var running = false;
    data.jobs.forEach(function (j) {
      if (j.status === "running") running = true;
      list.appendChild(jobItem(j));
    });
    clearTimeout(panels.jobsTimer);
    if (running && token()) panels.jobsTimer = setTimeout(loadJobs, JOB_POLL_MS);
  }).catch(function (e) { if (e.status !== 401) $("jobs-empty").textContent = "cannot list jobs: " + e.message; });
}
function jobItem(j) {
  var li = el("li", "job");
  li.dataset.job = j.id;
  li.dataset.status = j.status;
  var details = el("details");
  details.open = !!panels.openJobs[j.id];
  details.addEventListener("toggle", function () { panels.openJobs[j.id] = details.open; });
  var summary = el("summary", "job-row");
  summary.appendChild(el("span", "mono", j.fn));
  summary.appendChild(stateText(j.status));
  summary.appendChild(bar(j.done, j.failed, j.total));
  var count = el("span", "num job-count", j.done + " / " + j.total + (j.failed ? " · " + j.failed + " failed" : ""));
  summary.appendChild(count);
  details.appendChild(summary);
  var more = el("div", "detail");
  more.appendChild(kv([["id", j.id, "mono"], ["queue", j.queue], ["started", when(j.createdAt)], ["finished", when(j.finishedAt)], ["error", j.error]]));
  if (j.result !== undefined) more.appendChild(json({ result: j.result }));
  details.appendChild(more);
  li.appendChild(details);
  return li;
}

function loadSchedules() {
  return api("GET", "/v1/schedules").then(function (data) {
    var body = document.querySelector("#schedules tbody");
    body.textContent = "";
    $("schedules-empty").hidden = data.schedules.length > 0;
    data.schedules.forEach(function (s) { body.appendChild(scheduleRow(s)); });
  }).catch(function (e) { if (e.status !== 401) $("schedules-empty").textContent = "cannot list schedules: " + e.message; });
}
function scheduleRow(s) {
  var tr = el("tr");
  tr.dataset.schedule = s.id;
  var name = el("td", "mono", s.id);
  if (s.source === "code") name.appendChild(el("span", "pill", "code"));
  if (s.paused) name.appendChild(el("span", "pill", "paused"));
  tr.appendChild(name);
  tr.appendChild(el("td", "mono", s.cron + (s.timezone ? " · " + s.timezone : "")));
  tr.appendChild(el("td", "", s.fn + " → " + s.queue));
  var next = el("td", "", s.nextRunAt ? when(s.nextRunAt) : "paused");
  next.dataset.field = "next";
  tr.appendChild(next);
  var last = el("td", "");
  last.dataset.field = "last";
  if (s.lastRun) {
    var link = el("a", "mono", when(s.lastRun.at));
    link.href = "#";
    link.title = s.lastRun.taskId;
    link.addEventListener("click", function (e) { e.preventDefault(); track(s.lastRun.taskId); });
    last.appendChild(link);
    if (s.lastRun.error) last.appendChild(el("div", "error", s.lastRun.error));
  } else last.textContent = "never";
  tr.appendChild(last);
  var act = el("td", "");
  var btn = el("button", "", s.paused ? "Resume" : "Pause");
  btn.type = "button";
  btn.dataset.action = s.paused ? "resume" : "pause";
  btn.addEventListener("click", function () {
    api("POST", "/v1/schedules/" + encodeURIComponent(s.id) + "/" + btn.dataset.action).then(loadSchedules)
      .catch(function (e) { if (e.status !== 401) alert(e.message); });
  });
  act.appendChild(btn);
  tr.appendChild(act);
  return tr;
}
`;
