/** The dashboard's stylesheet: light and dark from prefers-color-scheme, one column on a phone. */
export const DASHBOARD_CSS = String.raw`
:root {
  --bg: #f5f6f8; --card: #ffffff; --text: #1b1f24; --muted: #5f6b7a; --line: #dde1e6; --accent: #2563eb;
  --ok: #15803d; --warn: #b45309; --bad: #b91c1c; --bar: #e8ebef;
  --s1: #2563eb; --s2: #16a34a; --s3: #dc2626; --s4: #9333ea;
  color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0f1217; --card: #171b22; --text: #e6e9ee; --muted: #98a2b3; --line: #2a313c; --accent: #60a5fa;
    --ok: #4ade80; --warn: #fbbf24; --bad: #f87171; --bar: #232a35;
    --s1: #60a5fa; --s2: #4ade80; --s3: #f87171; --s4: #c084fc;
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
.top { display: flex; align-items: center; gap: 1rem; padding: .75rem 1.25rem; background: var(--card); border-bottom: 1px solid var(--line); position: sticky; top: 0; z-index: 1; }
.top h1 { margin: 0; font-size: 1.15rem; letter-spacing: .02em; }
.logo { color: var(--accent); }
.status { color: var(--muted); font-size: .85rem; margin-left: auto; }
main { max-width: 1200px; margin: 0 auto; padding: 1rem; display: grid; gap: 1rem; }
#app { display: grid; gap: 1rem; }
#app[hidden], [hidden] { display: none !important; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 1rem 1.25rem; min-width: 0; }
.card h2 { margin: 0 0 .75rem; font-size: 1rem; }
.card-head { display: flex; align-items: baseline; gap: 1rem; flex-wrap: wrap; }
.card-head h2 { margin-right: auto; }
.narrow { max-width: 420px; margin: 3rem auto; width: 100%; }
.muted, .hint { color: var(--muted); font-size: .85rem; }
.mono, code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .85em; }
label { display: block; font-weight: 600; margin-bottom: .35rem; }
input { font: inherit; color: inherit; background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: .45rem .6rem; width: 100%; min-width: 0; }
input:focus, button:focus-visible { outline: 2px solid var(--accent); outline-offset: 1px; }
button { font: inherit; border: 1px solid var(--accent); background: var(--accent); color: #fff; border-radius: 6px; padding: .4rem .85rem; cursor: pointer; white-space: nowrap; }
button.quiet { background: transparent; color: var(--text); border-color: var(--line); }
button.danger { background: transparent; color: var(--bad); border-color: var(--bad); }
button:disabled { opacity: .5; cursor: default; }
#login-form button { margin-top: .75rem; width: 100%; }
.error { color: var(--bad); min-height: 1.2em; margin: .5rem 0 0; }
.inline { display: flex; gap: .5rem; margin-bottom: .75rem; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: .45rem .6rem; border-bottom: 1px solid var(--line); text-align: left; white-space: nowrap; }
th { color: var(--muted); font-weight: 600; font-size: .8rem; text-transform: uppercase; letter-spacing: .03em; }
.num { text-align: right; }
tbody tr { cursor: pointer; }
tbody tr:hover { background: var(--bar); }
tbody tr.selected { box-shadow: inset 3px 0 0 var(--accent); background: var(--bar); }
td.dead-count.some { color: var(--bad); font-weight: 600; }
.pill { display: inline-block; padding: 0 .45rem; border-radius: 999px; font-size: .75rem; border: 1px solid var(--line); color: var(--muted); margin-left: .35rem; }
.charts { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
figure { margin: 0; min-width: 0; }
figcaption { font-size: .85rem; color: var(--muted); margin-bottom: .25rem; }
.chart { width: 100%; height: auto; display: block; }
.chart .grid { stroke: var(--line); stroke-width: 1; }
.chart .axis { fill: var(--muted); font-size: 11px; }
.chart .line { fill: none; stroke-width: 2; stroke-linejoin: round; stroke-linecap: round; }
.chart .s1 { stroke: var(--s1); } .chart .s2 { stroke: var(--s2); } .chart .s3 { stroke: var(--s3); } .chart .s4 { stroke: var(--s4); }
.chart .dot.s1 { fill: var(--s1); } .chart .dot.s2 { fill: var(--s2); } .chart .dot.s3 { fill: var(--s3); } .chart .dot.s4 { fill: var(--s4); }
.chart .empty { fill: var(--muted); font-size: 13px; }
.legend { display: flex; gap: 1rem; flex-wrap: wrap; font-size: .8rem; color: var(--muted); margin-top: .25rem; }
.legend .key::before { content: ""; display: inline-block; width: .8rem; height: .2rem; border-radius: 2px; margin-right: .35rem; vertical-align: middle; background: currentColor; }
.legend .k1 { color: var(--s1); } .legend .k2 { color: var(--s2); } .legend .k3 { color: var(--s3); } .legend .k4 { color: var(--s4); }
.legend .key span { color: var(--muted); }
.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(140px, 1fr)); gap: .5rem 1rem; margin: 1rem 0 0; }
.figures div { border-left: 3px solid var(--line); padding-left: .6rem; }
.figures dt { color: var(--muted); font-size: .75rem; text-transform: uppercase; letter-spacing: .03em; }
.figures dd { margin: 0; font-size: 1.1rem; font-variant-numeric: tabular-nums; }
.actions { display: flex; gap: .5rem; }
.dead-list { list-style: none; margin: 0; padding: 0; }
.dead-list li { border-top: 1px solid var(--line); padding: .6rem 0; }
.dead-list li:first-child { border-top: 0; }
.dead-row { display: flex; gap: .75rem; align-items: center; flex-wrap: wrap; }
.dead-row .err { color: var(--bad); flex: 1 1 16rem; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.dead-row .btns { display: flex; gap: .4rem; margin-left: auto; }
.dead-row button { padding: .2rem .6rem; font-size: .85rem; }
details summary { cursor: pointer; }
details .detail { margin: .5rem 0 0; }
pre { background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: .6rem; overflow: auto; max-height: 16rem; margin: .4rem 0 0; white-space: pre-wrap; word-break: break-word; }
ol.errors { margin: .25rem 0 0; padding-left: 1.4rem; color: var(--bad); }
.two { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
.kv { display: grid; grid-template-columns: max-content 1fr; gap: .2rem .9rem; margin: 0; }
.kv dt { color: var(--muted); }
.kv dd { margin: 0; min-width: 0; overflow-wrap: anywhere; }
.state { font-weight: 600; }
.state-succeeded { color: var(--ok); } .state-dead, .state-failed, .state-canceled { color: var(--bad); }
.state-running, .state-queued, .state-delayed { color: var(--warn); }
.progress { height: .8rem; background: var(--bar); border-radius: 999px; overflow: hidden; margin: .5rem 0; display: flex; }
.progress .done { background: var(--ok); } .progress .failed { background: var(--bad); }
.job-list { list-style: none; margin: 0; padding: 0; }
.job-row { display: grid; grid-template-columns: minmax(8rem, 1fr) 6rem 3fr 9rem; gap: .75rem; align-items: center; cursor: pointer; padding: .3rem 0; }
.job-row .progress { margin: 0; }
.job-count { font-size: .85rem; color: var(--muted); }
@media (max-width: 820px) {
  .charts, .two { grid-template-columns: 1fr; }
  main { padding: .6rem; }
  .card { padding: .8rem; }
  .top { padding: .6rem .8rem; }
}
`;
