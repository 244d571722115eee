/**
 * The dashboard's HTML: a shell with no data in it (the script fills it from the JSON API with the
 * token the user typed), so it is served without a token. No inline script or style: the CSP
 * allows only this origin's /dashboard/app.js and /dashboard/app.css.
 */
export const DASHBOARD_HTML = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>edgeq dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/dashboard/app.css">
<script src="/dashboard/app.js" defer></script>
</head>
<body>
<header class="top">
  <h1><span class="logo" aria-hidden="true">◆</span> edgeq</h1>
  <span id="status" class="status" aria-live="polite"></span>
  <button id="logout" type="button" class="quiet" hidden>Sign out</button>
</header>
<main>
  <section id="login" class="card narrow" hidden>
    <h2>Sign in</h2>
    <form id="login-form">
      <label for="token">API token</label>
      <input id="token" name="token" type="password" autocomplete="current-password" required spellcheck="false">
      <button type="submit">Sign in</button>
      <p id="login-error" class="error" role="alert"></p>
    </form>
    <p class="hint">A token with the <b>read</b> scope shows the queues; retrying and deleting dead tasks needs <b>admin</b>.
    The token stays in this tab's session storage and is sent only as an Authorization header.</p>
  </section>

  <div id="app" hidden>
    <section class="card">
      <div class="card-head"><h2>Queues</h2><span id="updated" class="muted"></span></div>
      <div class="table-wrap">
        <table id="queues">
          <thead><tr>
            <th scope="col">Queue</th><th scope="col" class="num">Queued</th><th scope="col" class="num">Running</th>
            <th scope="col" class="num">Delayed</th><th scope="col" class="num">Dead</th><th scope="col" class="num">Done / h</th>
            <th scope="col" class="num">Failed / h</th><th scope="col" class="num">p50</th><th scope="col" class="num">p95</th>
            <th scope="col" class="num">Oldest wait</th><th scope="col" class="num">Workers</th>
          </tr></thead>
          <tbody></tbody>
        </table>
      </div>
      <p id="no-queues" class="muted" hidden>No queues yet: enqueue a task and it appears here.</p>
    </section>

    <section class="card" id="charts">
      <div class="card-head"><h2>Last hour of <span id="chart-queue" class="mono"></span></h2></div>
      <div class="charts">
        <figure>
          <figcaption>Throughput, tasks per minute</figcaption>
          <svg id="throughput-chart" class="chart" viewBox="0 0 640 240" role="img" aria-label="Throughput per minute"></svg>
          <div class="legend" id="throughput-legend"></div>
        </figure>
        <figure>
          <figcaption>Run time per minute (ms)</figcaption>
          <svg id="latency-chart" class="chart" viewBox="0 0 640 240" role="img" aria-label="Run time percentiles per minute"></svg>
          <div class="legend" id="latency-legend"></div>
        </figure>
      </div>
      <dl class="figures" id="figures"></dl>
    </section>

    <section class="card" id="dead">
      <div class="card-head">
        <h2>Dead tasks of <span id="dead-queue" class="mono"></span></h2>
        <div class="actions">
          <button id="retry-all" type="button">Retry all</button>
          <button id="delete-all" type="button" class="danger">Delete all</button>
        </div>
      </div>
      <p id="dead-empty" class="muted" hidden>No dead tasks.</p>
      <ul id="dead-list" class="dead-list"></ul>
    </section>

    <section class="card" id="flow" hidden>
      <div class="card-head"><h2>Busiest flow-control keys of <span id="flow-queue" class="mono"></span></h2></div>
      <p id="flow-summary" class="muted"></p>
      <div class="table-wrap">
        <table id="flow-keys">
          <thead><tr>
            <th scope="col">Key</th><th scope="col" class="num">Running</th><th scope="col" class="num">Waiting</th>
            <th scope="col" class="num">Held</th><th scope="col">Limits</th>
          </tr></thead>
          <tbody></tbody>
        </table>
      </div>
    </section>

    <section class="card" id="jobs">
      <div class="card-head"><h2>Recent jobs</h2></div>
      <p id="jobs-empty" class="muted" hidden>No jobs yet: start one with <span class="mono">POST /v1/jobs</span> or <span class="mono">edgeq job run</span>.</p>
      <ul id="jobs-list" class="job-list"></ul>
    </section>

    <section class="card" id="schedules-card">
      <div class="card-head"><h2>Schedules</h2></div>
      <div class="table-wrap">
        <table id="schedules">
          <thead><tr>
            <th scope="col">Schedule</th><th scope="col">Cron</th><th scope="col">Task</th>
            <th scope="col">Next run</th><th scope="col">Last run</th><th scope="col"></th>
          </tr></thead>
          <tbody></tbody>
        </table>
      </div>
      <p id="schedules-empty" class="muted" hidden>No schedules: define one in functions/ or <span class="mono">POST /v1/schedules</span>.</p>
    </section>

    <div class="two">
      <section class="card">
        <h2>Find a task</h2>
        <form id="task-form" class="inline">
          <input id="task-id" placeholder="task id" aria-label="Task id" spellcheck="false" required>
          <button type="submit">Look up</button>
        </form>
        <div id="task-result"></div>
      </section>
      <section class="card">
        <h2>Job progress</h2>
        <form id="job-form" class="inline">
          <input id="job-id" placeholder="job id" aria-label="Job id" spellcheck="false" required>
          <button type="submit">Look up</button>
        </form>
        <div id="job-result"></div>
      </section>
    </div>
  </div>
</main>
</body>
</html>
`;
