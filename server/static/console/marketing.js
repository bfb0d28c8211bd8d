  // /static/console.js, part marketing.js: the marketing view (marketers and supervisors): the mined association
  // rules with their figures and cross-sell acceptance, and recommendation click-through by source.
  // Runs inside the script's one IIFE, like every part; parts and order: server/api/assets.py.
  // The server filters, sorts and cuts the rules (GET /api/operator/marketing/rules); every label goes in with
  // textContent, rate bars are inline SVG.
  var RULES_LIMIT = 100;
  var RULE_SORTS = ["support", "confidence", "lift", "offers", "acceptance"];
  var MKT = { days: 30, sort: "lift", ruleSet: "", item: "", category: "", dim: "source", rules: null, recs: null,
    rulesSeq: 0, recsSeq: 0, timer: null, filterTimer: null, pane: "insights" };

  function isMarketer() { return !!(S.me && S.me.role === "marketer"); }
  function canMarket() { return !!(S.me && (S.me.role === "marketer" || S.me.role === "supervisor")); }

  function renderMarketingToggle() {
    var b = $("marketing-toggle");
    b.hidden = !isSupervisor() || !$("login").hidden;
    b.textContent = S.view === "marketing" ? t("mkt").back : t("mkt").open;
    b.setAttribute("aria-pressed", String(S.view === "marketing"));
  }

  function stopMarketing() {
    clearInterval(MKT.timer);
    clearTimeout(MKT.filterTimer);
  }

  function resetMarketing() {
    stopMarketing();
    MKT.rules = MKT.recs = null;
    MKT.ruleSet = MKT.item = MKT.category = "";
    MKT.pane = "insights";
    $("mkt-filter").value = "";
    CAMP.list = CAMP.detail = CAMP.readout = CAMP.copy = CAMP.selected = null;
    INS.churn = null;
    resetAssistant();
  }

  function startMarketing() {
    showPane(MKT.pane);
    loadMarketing();
    loadCampaigns();
    renderAssistant();
    MKT.timer = setInterval(loadMarketing, 60000);
  }

  /** The marketing view's panes: insights (rules, click-through), campaigns (list, readout, history) and the
   *  forecast of a proposed campaign (forecast.js). */
  function showPane(pane) {
    MKT.pane = ["campaigns", "churn", "forecast"].includes(pane) ? pane : "insights";
    $("mkt-insights").hidden = MKT.pane !== "insights";
    $("mkt-campaigns").hidden = MKT.pane !== "campaigns";
    $("mkt-churn").hidden = MKT.pane !== "churn";
    $("mkt-forecast").hidden = MKT.pane !== "forecast";
    if (MKT.pane === "forecast") renderForecastForm();
    $("mkt-days-tabs").hidden = MKT.pane !== "insights";
    $("mkt-window").hidden = MKT.pane !== "insights";
    document.querySelectorAll("[data-mkt-pane]").forEach(function (b) {
      b.textContent = t("camp").panes[b.getAttribute("data-mkt-pane")];
      b.setAttribute("aria-selected", String(b.getAttribute("data-mkt-pane") === MKT.pane));
    });
    if (MKT.pane === "churn") { if (INS.churn) renderChurn(); else loadChurn(); }
  }

  function loadMarketing() { loadRules(); loadRecs(); }

  function rulesUrl() {
    var q = ["days=" + MKT.days, "sort=" + MKT.sort, "limit=" + RULES_LIMIT];
    if (MKT.ruleSet) q.push("rule_set=" + encodeURIComponent(MKT.ruleSet));
    if (MKT.item) q.push("item=" + encodeURIComponent(MKT.item));
    if (MKT.category) q.push("category=" + encodeURIComponent(MKT.category));
    return "/api/operator/marketing/rules?" + q.join("&");
  }

  function mktStatus(loading) { $("mkt-status").textContent = loading ? t("mkt").loading : ""; }

  function loadRules() {
    var seq = ++MKT.rulesSeq;
    mktStatus(true);
    api("GET", rulesUrl()).then(function (data) {
      if (seq !== MKT.rulesSeq) return;
      MKT.rules = data;
      renderMarketing();
    }, function (err) {
      if (seq !== MKT.rulesSeq) return;
      mktStatus(false);
      if (err && err.code === "unknown_rule_set") { MKT.ruleSet = ""; loadRules(); }
      onApiError(err);
    });
  }

  function loadRecs() {
    var seq = ++MKT.recsSeq;
    api("GET", "/api/operator/marketing/recommendations?days=" + MKT.days).then(function (data) {
      if (seq !== MKT.recsSeq) return;
      MKT.recs = data;
      renderMarketing();
    }, function (err) { if (seq === MKT.recsSeq) onApiError(err); });
  }

  function itemName(item) { return S.lang === "zh" ? item.name_zh : item.name_en; }

  function keyLabel(dim, key) {
    var L = t("mkt"), group = dim === "source" ? L.sources : dim === "bandit" ? L.bandits : L.tools;
    return (group && group[key]) || key;
  }

  // ---------------------------------------------------------------------------------------------- render
  function renderMarketing() {
    var L = t("mkt"), rules = MKT.rules, recs = MKT.recs;
    if (!MKT.rulesSeq || (rules && recs)) mktStatus(false);
    document.querySelectorAll("[data-mkt-days]").forEach(function (b) {
      var n = Number(b.getAttribute("data-mkt-days"));
      b.textContent = t("stats").days(n);
      b.setAttribute("aria-selected", String(n === MKT.days));
    });
    document.querySelectorAll("[data-mkt-dim]").forEach(function (b) {
      b.textContent = L.dims[b.getAttribute("data-mkt-dim")];
      b.setAttribute("aria-selected", String(b.getAttribute("data-mkt-dim") === MKT.dim));
    });
    $("mkt-filter").placeholder = L.filterPlaceholder;
    var w = (rules || recs || {}).window;
    $("mkt-window").textContent = w ? L.window(fmtDate(w.since), fmtDate(w.until)) : "";
    renderKpis();
    renderCtr();
    renderRules();
  }

  function renderKpis() {
    var L = t("mkt"), box = $("mkt-kpis"), rules = MKT.rules, recs = MKT.recs;
    clear(box);
    if (rules) {
      var o = rules.offers;
      box.appendChild(kpiCard("mkt-kpi-acceptance", L.kpiAcceptance, pct(o.rate.value), L.acceptanceDetail(o),
        o.rate.value === null ? null : L.interval(pct(o.rate.low), pct(o.rate.high))));
    }
    if (recs) {
      var total = recs.total;
      box.appendChild(kpiCard("mkt-kpi-ctr", L.kpiCtr, total ? pct(total.ctr.value) : "—",
        total ? L.ctrDetail(total) : L.ctrDetail({ impressions: 0, clicks: 0, added_to_cart: 0, purchased: 0 }),
        total && total.ctr.value !== null ? L.interval(pct(total.ctr.low), pct(total.ctr.high)) : null));
    }
    if (rules) {
      var n = rules.rule_sets.reduce(function (s, x) { return s + x.n_rules; }, 0);
      box.appendChild(kpiCard("mkt-kpi-rules", L.kpiRules, String(n), L.rulesDetail(rules.rule_sets.length, n), null));
    }
  }

  function renderCtr() {
    var L = t("mkt"), body = $("mkt-ctr-body"), recs = MKT.recs;
    clear(body);
    if (!recs) return;
    if (!recs.total) { body.appendChild(emptyNote(L.ctrEmpty, "mkt-ctr-empty")); return; }
    var rows = MKT.dim === "bandit" ? recs.by_bandit : MKT.dim === "tool" ? recs.by_tool : recs.by_source;
    var table = el("table", "mkt-table ctr-table");
    table.setAttribute("data-testid", "ctr-table");
    var head = el("tr");
    var C = L.ctrCols;
    [[L.dims[MKT.dim], ""], [C.impressions, "num"], [C.clicks, "num"], [C.ctr, "num"], [C.added, "num"],
      [C.purchased, "num"]].forEach(function (h) { head.appendChild(el("th", h[1], h[0])); });
    table.appendChild(el("thead")).appendChild(head);
    var tbody = el("tbody");
    rows.forEach(function (r) {
      var tr = el("tr");
      tr.setAttribute("data-testid", "ctr-row");
      tr.setAttribute("data-key", r.key);
      var name = el("td", "key-cell");
      name.appendChild(el("span", "key-name", keyLabel(MKT.dim, r.key)));
      if (keyLabel(MKT.dim, r.key) !== r.key) name.appendChild(el("span", "muted key-id", r.key));
      tr.appendChild(name);
      tr.appendChild(numCell(r.impressions, "impressions"));
      tr.appendChild(numCell(r.clicks, "clicks"));
      tr.appendChild(rateCell(r.ctr, null, "#6366f1", "ctr"));
      tr.appendChild(numCell(r.added_to_cart, "added"));
      tr.appendChild(numCell(r.purchased, "purchased"));
      tbody.appendChild(tr);
    });
    table.appendChild(tbody);
    body.appendChild(table);
    body.appendChild(el("p", "muted stat-note", L.ctrNote));
    if (recs.events_truncated) body.appendChild(el("p", "warn-note", L.truncated));
  }

  function itemCell(items, col) {
    var td = el("td", "items");
    td.setAttribute("data-col", col);
    td.setAttribute("data-ids", items.map(function (i) { return i.id; }).join(","));
    items.forEach(function (i) {
      var span = el("span", "item");
      span.appendChild(el("span", "item-name", itemName(i)));
      var tag = i.kind === "category" ? t("mkt").category : i.id;
      if (i.kind !== "item") span.appendChild(el("span", "item-id", tag));
      td.appendChild(span);
    });
    return td;
  }

  function sortHeader(col, text) {
    var th = el("th", "num");
    var b = el("button", "sort", text);
    b.type = "button";
    b.setAttribute("data-testid", "sort-" + col);
    b.setAttribute("data-sort", col);
    th.setAttribute("aria-sort", MKT.sort === col ? "descending" : "none");
    b.title = t("mkt").sortHint;
    b.addEventListener("click", function () {
      if (MKT.sort === col) return;
      MKT.sort = col;
      loadRules();
    });
    th.appendChild(b);
    return th;
  }

  function renderRules() {
    var L = t("mkt"), body = $("mkt-rules-body"), sets = $("mkt-sets"), d = MKT.rules;
    clear(body);
    clear(sets);
    if (!d) return;
    fillSelect($("mkt-rule-set"), [["", L.allSets]].concat(d.rule_sets.map(function (s) { return [s.name, s.name]; })),
      MKT.ruleSet);
    fillSelect($("mkt-category"), [["", L.allCategories]].concat(d.categories.map(function (c) {
      return [c.key, S.lang === "zh" ? c.name_zh : c.name_en];
    })), MKT.category);
    d.rule_sets.forEach(function (s) {
      var c = chip(L.setChip(s, L.by[s.by] || s.by, L.engine[s.engine] || s.engine, fmtDate(s.mined_at)), "set-chip",
        { "data-testid": "rule-set-chip", "data-name": s.name });
      sets.appendChild(c);
    });
    if (d.problems.length) {
      var warn = el("div", "warn-note");
      warn.setAttribute("data-testid", "mkt-problems");
      warn.appendChild(el("div", null, L.problems));
      d.problems.forEach(function (p) { warn.appendChild(el("div", "problem", (p.name ? p.name + ": " : "") + p.message)); });
      body.appendChild(warn);
    }
    if (!d.rule_sets.length) {
      var empty = emptyNote(L.noRules, "mkt-rules-empty");
      empty.appendChild(el("code", "command", L.mineCommand));
      body.appendChild(empty);
    } else if (!d.rules.length) {
      body.appendChild(emptyNote(L.noMatch, "mkt-rules-nomatch"));
    } else {
      body.appendChild(rulesTable(d));
      var count = el("p", "muted stat-note", L.shown(d.rules.length, d.total));
      count.setAttribute("data-testid", "mkt-rules-count");
      body.appendChild(count);
    }
    if (d.other_offers.length) body.appendChild(otherOffers(d.other_offers));
  }

  function rulesTable(d) {
    var C = t("mkt").ruleCols;
    var table = el("table", "mkt-table rules-table");
    table.setAttribute("data-testid", "rules-table");
    var head = el("tr");
    head.appendChild(el("th", null, C.set));
    head.appendChild(el("th", null, C.antecedent));
    head.appendChild(el("th", "arrow", ""));
    head.appendChild(el("th", null, C.consequent));
    RULE_SORTS.forEach(function (col) { head.appendChild(sortHeader(col, C[col])); });
    table.appendChild(el("thead")).appendChild(head);
    var tbody = el("tbody");
    d.rules.forEach(function (r) {
      var tr = el("tr");
      tr.setAttribute("data-testid", "rule-row");
      tr.setAttribute("data-rule-set", r.rule_set);
      var set = el("td", "set-cell");
      set.appendChild(el("span", "set-name", r.rule_set));
      set.appendChild(el("span", "muted set-by", t("mkt").by[r.by] || r.by));
      tr.appendChild(set);
      tr.appendChild(itemCell(r.antecedent, "antecedent"));
      tr.appendChild(el("td", "arrow", "→"));
      tr.appendChild(itemCell(r.consequent, "consequent"));
      tr.appendChild(numCell(pct(r.support, 2), "support"));
      tr.appendChild(numCell(pct(r.confidence), "confidence"));
      var lift = numCell(r.lift.toFixed(2) + "×", "lift");
      if (r.lift >= 2) lift.classList.add("strong");
      tr.appendChild(lift);
      tr.appendChild(numCell(r.acceptance.offers, "offers"));
      if (r.acceptance.offers) {
        tr.appendChild(rateCell(r.acceptance.rate, r.acceptance.accepted + "/" + r.acceptance.offers, "#16a34a",
          "acceptance"));
      } else {
        var none = el("td", "num muted", t("mkt").notOffered);
        none.setAttribute("data-col", "acceptance");
        tr.appendChild(none);
      }
      tbody.appendChild(tr);
    });
    table.appendChild(tbody);
    return table;
  }

  function otherOffers(rows) {
    var L = t("mkt"), C = L.ruleCols;
    var box = el("div", "other-offers");
    box.setAttribute("data-testid", "mkt-other-offers");
    box.appendChild(el("h4", null, L.otherTitle));
    box.appendChild(el("p", "muted stat-note", L.otherNote));
    var table = el("table", "mkt-table");
    var head = el("tr");
    [[C.set, ""], [C.antecedent, ""], [C.consequent, ""], [C.offers, "num"], [C.acceptance, "num"]].forEach(function (h) {
      head.appendChild(el("th", h[1], h[0]));
    });
    table.appendChild(el("thead")).appendChild(head);
    var tbody = el("tbody");
    rows.forEach(function (r) {
      var tr = el("tr");
      tr.setAttribute("data-testid", "other-offer-row");
      tr.appendChild(el("td", "set-cell", r.rule_set || L.fit));
      [[r.antecedent, "antecedent"], [r.consequent, "consequent"]].forEach(function (x) {
        tr.appendChild(x[0].length ? itemCell(x[0], x[1]) : el("td", "muted", "—"));
      });
      tr.appendChild(numCell(r.acceptance.offers, "offers"));
      tr.appendChild(rateCell(r.acceptance.rate, r.acceptance.accepted + "/" + r.acceptance.offers, "#16a34a",
        "acceptance"));
      tbody.appendChild(tr);
    });
    table.appendChild(tbody);
    box.appendChild(table);
    return box;
  }

  function bindMarketing() {
    $("marketing-toggle").addEventListener("click", function () {
      showView(S.view === "marketing" ? "conversations" : "marketing");
    });
    $("mkt-refresh").addEventListener("click", function () {
      if (MKT.pane === "churn") loadChurn();
      else if (MKT.pane === "campaigns") loadCampaigns();
      else loadMarketing();
    });
    document.querySelectorAll("[data-mkt-pane]").forEach(function (b) {
      b.addEventListener("click", function () { showPane(b.getAttribute("data-mkt-pane")); });
    });
    document.querySelectorAll("[data-mkt-days]").forEach(function (b) {
      b.addEventListener("click", function () { MKT.days = Number(b.getAttribute("data-mkt-days")); loadMarketing(); renderMarketing(); });
    });
    document.querySelectorAll("[data-mkt-dim]").forEach(function (b) {
      b.addEventListener("click", function () { MKT.dim = b.getAttribute("data-mkt-dim"); renderMarketing(); });
    });
    $("mkt-rule-set").addEventListener("change", function () { MKT.ruleSet = this.value; loadRules(); });
    $("mkt-category").addEventListener("change", function () { MKT.category = this.value; loadRules(); });
    $("mkt-filter").addEventListener("input", function () {
      var value = this.value.trim();
      clearTimeout(MKT.filterTimer);
      MKT.filterTimer = setTimeout(function () {
        if (value === MKT.item) return;
        MKT.item = value;
        loadRules();
      }, 300);
    });
  }
