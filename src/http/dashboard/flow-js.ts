/**
 * The dashboard's flow-control panel: the selected queue's busiest keys (GET /v1/queues/{q}/flow),
 * loaded with the queue on every poll. Shares app-js's helpers (api, el, $) in the same served
 * script; no backticks or dollar-braces in here.
 */
export const FLOW_JS = String.raw`
var FLOW_KEYS_SHOWN = 8;
function loadFlow(queue) {
  return api("GET", "/v1/queues/" + encodeURIComponent(queue) + "/flow?limit=" + FLOW_KEYS_SHOWN).then(function (data) {
    $("flow").hidden = data.total === 0;
    $("flow-queue").textContent = queue;
    $("flow-summary").textContent = data.total + (data.total === 1 ? " key" : " keys") + " busy · " + data.held + " held back by a limit";
    var body = document.querySelector("#flow-keys tbody");
    body.textContent = "";
    data.keys.forEach(function (k) { body.appendChild(flowRow(k)); });
  }).catch(function (e) { if (e.status !== 401) $("flow-summary").textContent = "cannot read flow control: " + e.message; });
}
function flowRow(k) {
  var tr = el("tr");
  tr.dataset.flowKey = k.key;
  tr.appendChild(el("td", "mono", k.key));
  [k.running, k.waiting, k.held].forEach(function (n) { tr.appendChild(el("td", "num", String(n))); });
  var limits = [];
  if (k.parallelism) limits.push(k.parallelism + " at once");
  if (k.rate) limits.push(k.rate + " per " + (k.periodMs / 1000) + " s");
  tr.appendChild(el("td", "", limits.join(" · ")));
  return tr;
}
`;
