  // /static/console.js, part readout.js: a campaign's readout in the campaigns pane: KPI cards (shown, claimed with
  // the claim rate, redeemed with the redemption rate, budget used), the daily chart, the table by segment, and the
  // experiments hook — `experiments` null says the store has none yet; a list (the experiments module's readouts)
  // becomes a table. Runs inside the script's one IIFE, like every part; parts and order: server/api/assets.py.
  function renderReadout() {
    var R = C().readout, r = CAMP.readout, kpis = $("readout-kpis");
    $("readout-title").textContent = R.title;
    $("readout-daily-title").textContent = R.daily;
    $("readout-segments-title").textContent = R.segments;
    document.querySelectorAll("[data-seg-dim]").forEach(function (b) {
      b.textContent = R.dims[b.getAttribute("data-seg-dim")];
      b.setAttribute("aria-selected", String(b.getAttribute("data-seg-dim") === CAMP.segDim));
    });
    clear(kpis);
    clear($("readout-daily"));
    clear($("readout-segments"));
    clear($("readout-experiments"));
    $("readout-note").textContent = R.note;
    if (!r || r.campaign_id !== CAMP.selected) { $("readout-since").textContent = t("mkt").loading; return; }
    $("readout-since").textContent = R.since(fmtDate(r.since), fmtDate(r.until));
    var tot = r.total;
    kpis.appendChild(kpiCard("readout-shown", R.shown, String(tot.shown), R.shownDetail(tot), null));
    var claim = kpiCard("readout-claimed", R.claimed, String(tot.claimed),
      r.claimable ? R.claimRate(pct(tot.claim_rate.value)) : R.automatic, R.claimedDetail(tot));
    if (r.claimable && tot.claim_rate.value !== null) claim.appendChild(rateBar(tot.claim_rate, CAMP_SERIES.claimed));
    kpis.appendChild(claim);
    var red = kpiCard("readout-redeemed", R.redeemed, String(tot.redeemed), R.redemptionRate(pct(tot.redemption_rate.value)),
      R.redeemedDetail({ discount_redeemed: money(tot.discount_redeemed), redeemed_sales: money(tot.redeemed_sales) }));
    if (tot.redemption_rate.value !== null) red.appendChild(rateBar(tot.redemption_rate, CAMP_SERIES.redeemed));
    kpis.appendChild(red);
    var b = r.budget;
    var bud = kpiCard("readout-budget", R.budget, b.used === null ? "¥" + money(b.spent) : pct(b.used),
      b.budget === null ? R.budgetDetail(b) : C().budgetOf(money(b.spent), money(b.budget)),
      b.budget === null ? null : R.budgetDetail({ budget: b.budget, left: money(b.left) }));
    if (b.used !== null) bud.appendChild(rateBar({ value: Math.min(1, b.used), low: Math.min(1, b.used),
      high: Math.min(1, b.used) }, b.used >= 0.9 ? "#dc2626" : "#6366f1"));
    kpis.appendChild(bud);
    renderDaily(r);
    renderSegments(r);
    renderExperiments(r.experiments);
    if (r.offers_truncated) $("readout-daily").appendChild(el("p", "warn-note", R.truncated));
  }

  function renderDaily(r) {
    var R = C().readout, box = $("readout-daily");
    if (!r.days.length) { box.appendChild(emptyNote(R.noDays, "readout-no-days")); return; }
    box.appendChild(columnChart(r.days.map(function (d) {
      return { key: d.day, label: d.day.slice(5), values: [d.shown, d.claimed, d.redeemed] };
    }), [CAMP_SERIES.shown, CAMP_SERIES.claimed, CAMP_SERIES.redeemed], "chart-readout-daily",
      Math.ceil(r.days.length / 8), { w: 760, h: 170 }));
    box.appendChild(legend([[R.seriesShown, CAMP_SERIES.shown], [R.seriesClaimed, CAMP_SERIES.claimed],
      [R.seriesRedeemed, CAMP_SERIES.redeemed]]));
  }

  function renderSegments(r) {
    var R = C().readout, K = R.cols, box = $("readout-segments");
    var rows = r.segments.filter(function (s) { return s.dimension === CAMP.segDim; });
    if (!rows.length) { box.appendChild(emptyNote(R.noSegments, "readout-no-segments")); return; }
    var table = el("table", "mkt-table seg-table");
    table.setAttribute("data-testid", "segment-table");
    var head = el("tr");
    var cols = [[K.key, ""], [K.shown, "num"], [K.reached, "num"]];
    if (r.claimable) cols.push([K.claimRate, "num"]);
    cols.push([K.claimed, "num"], [K.redeemed, "num"], [K.redemptionRate, "num"]);
    cols.forEach(function (h) { head.appendChild(el("th", h[1], h[0])); });
    table.appendChild(el("thead")).appendChild(head);
    var tbody = el("tbody");
    rows.forEach(function (s) {
      var tr = el("tr");
      tr.setAttribute("data-testid", "segment-row");
      tr.setAttribute("data-key", s.key);
      tr.appendChild(el("td", "key-name", C().segment[s.key] || s.key));
      tr.appendChild(numCell(s.shown, "shown"));
      tr.appendChild(numCell(s.reached, "reached"));
      if (r.claimable) tr.appendChild(rateCell(s.claim_rate, s.claimed_after_offer + "/" + s.reached, CAMP_SERIES.claimed,
        "claim-rate"));
      tr.appendChild(numCell(s.claimed, "claimed"));
      tr.appendChild(numCell(s.redeemed, "redeemed"));
      tr.appendChild(rateCell(s.redemption_rate, s.redeemed + "/" + s.claimed, CAMP_SERIES.redeemed, "redemption-rate"));
      tbody.appendChild(tr);
    });
    table.appendChild(tbody);
    box.appendChild(table);
  }

  /** The experiments hook: null → the store has none (said plainly); [] → none for this campaign; a list → a table. */
  function renderExperiments(list) {
    var R = C().readout, box = $("readout-experiments");
    box.appendChild(el("h4", null, R.experiments));
    if (list === null || list === undefined) {
      box.setAttribute("data-state", "unavailable");
      box.appendChild(el("p", "muted small", R.experimentsOff));
      return;
    }
    box.setAttribute("data-state", list.length ? "listed" : "none");
    if (!list.length) { box.appendChild(el("p", "muted small", R.experimentsNone)); return; }
    box.appendChild(experimentsTable(list));
  }

  function experimentsTable(list) {
    var X = C().readout.expCols;
    var table = el("table", "mkt-table");
    table.setAttribute("data-testid", "experiments-table");
    var head = el("tr");
    [[X.name, ""], [X.status, ""], [X.arms, ""], [X.uplift, "num"], [X.p, "num"]].forEach(function (h) {
      head.appendChild(el("th", h[1], h[0]));
    });
    table.appendChild(el("thead")).appendChild(head);
    var tbody = el("tbody");
    list.forEach(function (x) {
      var tr = el("tr");
      tr.setAttribute("data-testid", "experiment-row");
      tr.appendChild(el("td", "key-name", x.name || x.id));
      tr.appendChild(el("td", null, x.status || ""));
      tr.appendChild(el("td", null, (x.arms || []).map(function (a) {
        return a.name + ": " + a.n + " · " + a.conversions + (a.rate === null || a.rate === undefined ? "" : " (" + pct(a.rate) + ")");
      }).join(" | ")));
      var u = x.uplift;
      tr.appendChild(el("td", "num", u ? pct(u.abs) + (u.low !== undefined && u.low !== null ? " [" + pct(u.low) + ", " +
        pct(u.high) + "]" : "") : "—"));
      tr.appendChild(el("td", "num", x.p_value === null || x.p_value === undefined ? "—" : Number(x.p_value).toFixed(3)));
      tbody.appendChild(tr);
    });
    table.appendChild(tbody);
    return table;
  }
