/**
 * Line charts drawn as SVG by hand: a few dozen lines instead of a 50 kB library, styled by the
 * stylesheet (so dark mode applies) and allowed by the CSP (elements and attributes, no inline
 * styles). Browser JavaScript kept in a string; it must not contain backticks or dollar-braces.
 */
export const CHART_JS = String.raw`
var SVG_NS = "http://www.w3.org/2000/svg";
function svgEl(name, attrs, text) {
  var el = document.createElementNS(SVG_NS, name);
  for (var k in attrs) el.setAttribute(k, String(attrs[k]));
  if (text !== undefined) el.textContent = text;
  return el;
}
// the top of the axis: four grid steps of a round size (counts never get fractional steps)
function niceMax(v, integer) {
  var step = v > 0 ? v / 4 : 0.25;
  if (integer && step < 1) return 4;
  var p = Math.pow(10, Math.floor(Math.log10(step)));
  var sizes = [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10];
  for (var i = 0; i < sizes.length; i++) if (sizes[i] * p >= step) return 4 * sizes[i] * p;
  return 40 * p;
}
function shortNumber(v) {
  if (v >= 1e6) return (v / 1e6).toFixed(v >= 1e7 ? 0 : 1) + "M";
  if (v >= 1e3) return (v / 1e3).toFixed(v >= 1e4 ? 0 : 1) + "k";
  return String(Math.round(v * 100) / 100);
}
function clockLabel(ms) {
  var d = new Date(ms);
  return String(d.getHours()).padStart(2, "0") + ":" + String(d.getMinutes()).padStart(2, "0");
}
/**
 * drawChart(svg, times, series, legend, integer): series = [{name, cls ("s1".."s4"), values (numbers
 * or null), total?}]; integer: the values are counts.
 * Gaps (null) break a line; a lone point is drawn as a dot so that one busy minute still shows.
 */
function drawChart(svg, times, series, legend, integer) {
  while (svg.firstChild) svg.removeChild(svg.firstChild);
  // drawn at the size it is shown, so that labels keep their size on a phone
  var W = Math.max(280, Math.round(svg.getBoundingClientRect().width) || 640);
  var H = W < 480 ? 200 : 240, L = 44, R = 10, T = 12, B = 28;
  svg.setAttribute("viewBox", "0 0 " + W + " " + H);
  var max = 0, any = false;
  series.forEach(function (s) { s.values.forEach(function (v) { if (v !== null && v !== undefined) { any = true; if (v > max) max = v; } }); });
  var top = niceMax(max, integer);
  var n = times.length;
  var x = function (i) { return L + (n <= 1 ? 0 : (i * (W - L - R)) / (n - 1)); };
  var y = function (v) { return T + (H - T - B) * (1 - v / top); };
  for (var g = 0; g <= 4; g++) {
    var gv = (top * g) / 4;
    svg.appendChild(svgEl("line", { x1: L, x2: W - R, y1: y(gv), y2: y(gv), class: "grid" }));
    svg.appendChild(svgEl("text", { x: L - 6, y: y(gv) + 4, "text-anchor": "end", class: "axis" }, shortNumber(gv)));
  }
  for (var t = 0; t < n - 8; t += 15) {
    svg.appendChild(svgEl("text", { x: x(t), y: H - 8, "text-anchor": t === 0 ? "start" : "middle", class: "axis" }, clockLabel(times[t])));
  }
  svg.appendChild(svgEl("text", { x: W - R, y: H - 8, "text-anchor": "end", class: "axis" }, "now"));
  series.forEach(function (s) {
    var d = "", run = 0;
    s.values.forEach(function (v, i) {
      if (v === null || v === undefined) { run = 0; return; }
      d += (run === 0 ? "M" : "L") + x(i).toFixed(1) + " " + y(v).toFixed(1) + " ";
      run++;
      var next = s.values[i + 1];
      var lone = run === 1 && (next === null || next === undefined);
      if (lone) svg.appendChild(svgEl("circle", { cx: x(i), cy: y(v), r: 2.5, class: "dot " + s.cls }));
    });
    if (d) svg.appendChild(svgEl("path", { d: d, class: "line " + s.cls, "data-series": s.name }));
  });
  if (!any) svg.appendChild(svgEl("text", { x: W / 2, y: H / 2, "text-anchor": "middle", class: "empty" }, "no tasks in the last hour"));
  if (legend) {
    legend.textContent = "";
    series.forEach(function (s) {
      var total = s.total !== undefined ? s.total : null;
      var key = document.createElement("span");
      key.className = "key k" + s.cls.slice(1);
      key.appendChild(document.createTextNode(s.name));
      if (total !== null) { var t2 = document.createElement("span"); t2.textContent = " " + total; key.appendChild(t2); }
      legend.appendChild(key);
    });
  }
}
`;
