  // /static/console.js, part stats.js: the supervisor view: charts as inline SVG.
  // Runs inside the script's one IIFE, like every part; parts and order: server/api/assets.py.
  // Charts are inline SVG built with createElementNS; every label goes in with textContent.
  var AFFECT_COLORS = { anger: "#dc2626", anxiety: "#d97706", disappointment: "#7c3aed", neutral: "#64748b",
    satisfaction: "#16a34a" };
  var SERIES = { conversations: "#a5b4fc", handed: "#f97316", offers: "#a5b4fc", conversions: "#16a34a" };

  function isSupervisor() { return !!(S.me && S.me.role === "supervisor"); }

  function renderStatsToggle() {
    var b = $("stats-toggle");
    b.hidden = !isSupervisor() || !$("login").hidden;
    b.textContent = S.view === "stats" ? t("stats").back : t("stats").open;
    b.setAttribute("aria-pressed", String(S.view === "stats"));
  }

  /** One view at a time: conversations (operators, supervisors), stats (supervisors), marketing (marketers,
   *  supervisors). A view the role may not see falls back to the role's first one. */
  function showView(view) {
    var converses = !isMarketer();
    var allowed = { conversations: converses, stats: isSupervisor(), marketing: canMarket() };
    S.view = allowed[view] ? view : converses ? "conversations" : "marketing";
    $("app").hidden = S.view !== "conversations";
    $("stats").hidden = S.view !== "stats";
    $("marketing").hidden = S.view !== "marketing";
    clearInterval(S.statsTimer);
    stopMarketing();
    if (S.view === "stats") {
      loadStats();
      S.statsTimer = setInterval(loadStats, 60000);
    }
    if (S.view === "marketing") startMarketing();
    renderStatsToggle();
    renderMarketingToggle();
  }

  function loadStats() {
    var seq = ++S.statsSeq;
    $("stats-status").textContent = t("stats").loading;
    api("GET", "/api/operator/stats?days=" + S.statsDays).then(function (data) {
      if (seq !== S.statsSeq) return;
      S.stats = data;
      renderStats();
    }, function (err) {
      if (seq === S.statsSeq) $("stats-status").textContent = "";
      onApiError(err);
    });
  }

  /** Horizontal bars: rows [{key, label, value, color, note}] → an <svg> with one <g data-testid="bar"> per row. */
  function barChart(rows, testid) {
    var W = 420, rowH = 26, labelW = 132, valueW = 118, top = 4;
    var max = rows.reduce(function (m, r) { return Math.max(m, r.value); }, 0) || 1;
    var root = svgEl("svg", { viewBox: "0 0 " + W + " " + (rows.length * rowH + top * 2), width: "100%",
      role: "img", "data-testid": testid, "class": "chart" });
    rows.forEach(function (r, i) {
      var y = top + i * rowH;
      var g = svgEl("g", { "data-testid": "bar", "data-key": r.key, "data-value": r.value });
      g.appendChild(svgEl("title", null, r.label + ": " + r.value + (r.note ? " · " + r.note : "")));
      g.appendChild(svgEl("text", { x: labelW - 8, y: y + rowH / 2 + 4, "text-anchor": "end", "class": "chart-label" },
        r.label));
      var w = Math.round((W - labelW - valueW) * r.value / max);
      g.appendChild(svgEl("rect", { x: labelW, y: y + 4, width: Math.max(w, r.value ? 2 : 0), height: rowH - 8,
        rx: 3, fill: r.color }));
      g.appendChild(svgEl("text", { x: labelW + w + 6, y: y + rowH / 2 + 4, "class": "chart-value",
        "data-testid": "bar-value" }, String(r.value) + (r.note ? "  " + r.note : "")));
      root.appendChild(g);
    });
    return root;
  }

  /** Columns: groups [{key, label, values: [n, …]}] with one colour per series; every `every`-th label shown;
   *  `size` {w, h}: the drawing's own size (default 420×150), for a chart drawn wider than the supervisor's. */
  function columnChart(groups, colors, testid, every, size) {
    var W = (size && size.w) || 420, H = (size && size.h) || 150, left = 28, bottom = 20, topPad = 8;
    var max = groups.reduce(function (m, g) { return Math.max.apply(null, [m].concat(g.values)); }, 0) || 1;
    var root = svgEl("svg", { viewBox: "0 0 " + W + " " + H, width: "100%", role: "img", "data-testid": testid,
      "class": "chart" });
    var plotH = H - bottom - topPad, slot = (W - left) / Math.max(groups.length, 1);
    root.appendChild(svgEl("line", { x1: left, x2: W, y1: H - bottom, y2: H - bottom, stroke: "#cbd5e1" }));
    root.appendChild(svgEl("text", { x: left - 4, y: topPad + 8, "text-anchor": "end", "class": "chart-axis" }, max));
    root.appendChild(svgEl("text", { x: left - 4, y: H - bottom, "text-anchor": "end", "class": "chart-axis" }, 0));
    groups.forEach(function (grp, i) {
      var g = svgEl("g", { "data-testid": "column", "data-key": grp.key, "data-values": grp.values.join(",") });
      g.appendChild(svgEl("title", null, grp.label + ": " + grp.values.join(" / ")));
      var bw = Math.max(1, (slot * 0.8) / grp.values.length);
      grp.values.forEach(function (v, j) {
        var h = Math.round(plotH * v / max);
        g.appendChild(svgEl("rect", { x: left + i * slot + slot * 0.1 + j * bw, y: H - bottom - h, width: bw,
          height: h, fill: colors[j] }));
      });
      if (i % (every || 1) === 0 || i === groups.length - 1) {
        g.appendChild(svgEl("text", { x: left + i * slot + slot / 2, y: H - 6, "text-anchor": "middle",
          "class": "chart-axis" }, grp.label));
      }
      root.appendChild(g);
    });
    return root;
  }

  function legend(items) {
    var box = el("div", "legend");
    items.forEach(function (it) {
      var span = el("span", "legend-item");
      var sw = svgEl("svg", { width: 10, height: 10, "aria-hidden": "true" });
      sw.appendChild(svgEl("rect", { width: 10, height: 10, rx: 2, fill: it[1] }));
      span.appendChild(sw);
      span.appendChild(document.createTextNode(it[0]));
      box.appendChild(span);
    });
    return box;
  }

  function statCard(testid, title, kpi, detail) {
    var card = el("section", "stat-card");
    card.setAttribute("data-testid", testid);
    card.appendChild(el("h3", null, title));
    if (kpi !== null) {
      var k = el("div", "kpi", kpi);
      k.setAttribute("data-testid", testid + "-kpi");
      card.appendChild(k);
    }
    if (detail) {
      var d = el("div", "muted kpi-detail", detail);
      d.setAttribute("data-testid", testid + "-detail");
      card.appendChild(d);
    }
    return card;
  }

  function renderStats() {
    var d = S.stats, L = t("stats"), grid = $("stats-grid");
    clear(grid);
    $("stats-status").textContent = "";
    document.querySelectorAll("[data-stats-days]").forEach(function (b) {
      b.textContent = L.days(Number(b.getAttribute("data-stats-days")));
      b.setAttribute("aria-selected", String(Number(b.getAttribute("data-stats-days")) === S.statsDays));
    });
    if (!d) return;
    var days = d.handoffs.daily;
    $("stats-window").textContent = L.window(days.length ? days[0].date : "", days.length ? days[days.length - 1].date : "",
      d.window.timezone);

    var h = statCard("stats-handoff", L.handoff, L.handoffKpi(d.handoffs.rate), L.handoffDetail(d.handoffs));
    h.appendChild(columnChart(days.map(function (x) {
      return { key: x.date, label: x.date.slice(5), values: [x.conversations, x.handed_off] };
    }), [SERIES.conversations, SERIES.handed], "chart-handoff-daily", Math.ceil(days.length / 6)));
    h.appendChild(legend([[L.seriesConversations, SERIES.conversations], [L.seriesHandedOff, SERIES.handed]]));
    grid.appendChild(h);

    var c = statCard("stats-csat", L.csat, L.csatKpi(d.csat), L.csatDetail(d.csat));
    c.appendChild(barChart(d.csat.distribution.slice().reverse().map(function (x) {
      return { key: String(x.score), label: L.score(x.score), value: x.count,
        color: x.score >= 4 ? "#16a34a" : x.score === 3 ? "#eab308" : "#dc2626" };
    }), "chart-csat"));
    grid.appendChild(c);

    var a = statCard("stats-affect", L.affect, null, null);
    a.appendChild(barChart(d.affect.map(function (x) {
      return { key: x.label, label: label("affect", x.label), value: x.count, color: AFFECT_COLORS[x.label] || "#64748b" };
    }), "chart-affect"));
    grid.appendChild(a);

    var it = statCard("stats-intents", L.intents, null, d.intents.length ? null : L.noData);
    if (d.intents.length) {
      it.appendChild(barChart(d.intents.map(function (x) {
        return { key: x.label, label: label("intent", x.label), value: x.count, color: "#6366f1" };
      }), "chart-intents"));
    }
    grid.appendChild(it);

    var k = statCard("stats-campaigns", L.campaigns, null, null);
    var rows = [];
    d.campaigns.forEach(function (x) {
      var name = (S.lang === "zh" ? x.name_zh : x.name_en) + (x.active ? "" : " (" + L.inactive + ")");
      rows.push({ key: x.campaign_id + ":offers", label: name, value: x.offers, color: SERIES.offers });
      rows.push({ key: x.campaign_id + ":conversions", label: L.conversions, value: x.conversions,
        color: SERIES.conversions, note: x.conversion_rate === null ? "" : L.conversionRate(x.conversion_rate) });
    });
    if (rows.length) k.appendChild(barChart(rows, "chart-campaigns"));
    else k.appendChild(el("div", "muted", L.noData));
    k.appendChild(legend([[L.offers, SERIES.offers], [L.conversions, SERIES.conversions]]));
    var note = el("p", "muted stat-note", L.campaignsNote);
    note.setAttribute("data-testid", "campaigns-note");
    k.appendChild(note);
    grid.appendChild(k);
  }
