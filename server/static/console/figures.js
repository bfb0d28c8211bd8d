  // /static/console.js, part figures.js: how the marketing views show figures: rates with their 95% interval (a bar
  // and a whisker, inline SVG), number cells, KPI cards, empty states and select boxes; shared by the insights and
  // campaigns panes and the assistant.
  // Runs inside the script's one IIFE, like every part; parts and order: server/api/assets.py.
  function pct(x, digits) { return x === null || x === undefined ? "—" : (x * 100).toFixed(digits === undefined ? 1 : digits) + "%"; }

  /** A rate with its 95% interval: a bar to the value and a whisker from low to high, in a 96×12 SVG. */
  function rateBar(rate, color) {
    var W = 96, H = 12;
    var root = svgEl("svg", { viewBox: "0 0 " + W + " " + H, width: W, height: H, "class": "rate-bar",
      "data-testid": "rate-bar", "aria-hidden": "true" });
    root.appendChild(svgEl("rect", { x: 0, y: 3, width: W, height: 6, rx: 3, fill: "#e2e8f0" }));
    if (rate && rate.value !== null) {
      root.appendChild(svgEl("rect", { x: 0, y: 3, width: Math.max(2, Math.round(W * rate.value)), height: 6, rx: 3,
        fill: color }));
      var lo = Math.round(W * rate.low), hi = Math.round(W * rate.high);
      root.appendChild(svgEl("line", { x1: lo, x2: hi, y1: 6, y2: 6, stroke: "#0f172a", "stroke-width": 1 }));
      root.appendChild(svgEl("line", { x1: lo, x2: lo, y1: 2, y2: 10, stroke: "#0f172a", "stroke-width": 1 }));
      root.appendChild(svgEl("line", { x1: hi, x2: hi, y1: 2, y2: 10, stroke: "#0f172a", "stroke-width": 1 }));
    }
    return root;
  }

  function rateCell(rate, count, color, testid) {
    var td = el("td", "num rate-cell");
    td.setAttribute("data-col", testid);
    var top = el("div", "rate-top");
    var v = el("span", "rate-value", pct(rate.value));
    v.setAttribute("data-testid", testid);
    top.appendChild(v);
    if (count) top.appendChild(el("span", "muted rate-count", count));
    td.appendChild(top);
    td.appendChild(rateBar(rate, color));
    if (rate.value !== null) td.title = t("mkt").interval(pct(rate.low), pct(rate.high));
    return td;
  }

  function numCell(value, col) {
    var td = el("td", "num", value);
    td.setAttribute("data-col", col);
    return td;
  }

  function kpiCard(testid, title, kpi, detail, sub) {
    var card = statCard(testid, title, kpi, detail);
    if (sub) card.appendChild(el("div", "muted kpi-sub", sub));
    return card;
  }

  function emptyNote(text, testid) {
    var p = el("p", "empty-state", text);
    p.setAttribute("data-testid", testid);
    return p;
  }

  function fillSelect(select, options, value) {
    clear(select);
    options.forEach(function (o) {
      var opt = el("option", null, o[1]);
      opt.value = o[0];
      select.appendChild(opt);
    });
    select.value = value;
  }
