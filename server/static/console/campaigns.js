  // /static/console.js, part campaigns.js: the marketing view's campaigns pane: the list (status, window, budget
  // spent), a campaign's facts, its drafted copy and its history (who changed what, when and why).
  // Runs inside the script's one IIFE, like every part; parts and order: server/api/assets.py.
  // Its readout: readout.js; the form and the pause/resume/end dialog: campaign-form.js. Labels go in as textContent.
  var CAMP = { list: null, selected: null, detail: null, readout: null, copy: null, copyBusy: false,
    segDim: "customer", listSeq: 0, detailSeq: 0 };
  var CAMP_SERIES = { shown: "#a5b4fc", claimed: "#f59e0b", redeemed: "#16a34a" };

  function C() { return t("camp"); }
  function campName(c) { return S.lang === "zh" ? c.name_zh : c.name_en; }

  function fmtDateTime(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return "";
    try {
      return d.toLocaleString(S.lang === "zh" ? "zh-CN" : "en-GB", { year: "numeric", month: "2-digit", day: "2-digit",
        hour: "2-digit", minute: "2-digit" });
    } catch (_) { return d.toISOString().slice(0, 16).replace("T", " "); }
  }

  function money(text) {
    var n = Number(text);
    if (isNaN(n)) return String(text);
    return n.toLocaleString(S.lang === "zh" ? "zh-CN" : "en-GB", { minimumFractionDigits: n % 1 ? 2 : 0,
      maximumFractionDigits: 2 });
  }

  /** "满300减50，满600减120 · 礼品卡 除外" from the stored rules (what the list and the facts show). */
  function offerWords(rules) {
    var O = C().offer, parts = [];
    if (rules.type === "threshold") {
      parts.push((rules.tiers || []).map(function (x) { return O.tier(x.min_spend, x.discount); })
        .join(S.lang === "zh" ? "，" : ", "));
    } else if (rules.type === "percent_off") {
      parts.push(O.percent(rules.percent_off));
    } else if (rules.type === "coupon") {
      parts.push(O.coupon(rules.discount, rules.min_spend || 0) + (rules.valid_days ? O.valid(rules.valid_days) : ""));
    }
    if (rules.day_of_month) parts[0] += O.day(rules.day_of_month);
    return parts.join("");
  }

  function scopeWords(rules) {
    var O = C().offer, out = [];
    if ((rules.categories || []).length || (rules.products || []).length) {
      out.push(O.only((rules.categories || []).concat(rules.products || []).join(", ")));
    }
    if ((rules.exclude_categories || []).length || (rules.exclude_products || []).length) {
      out.push(O.except((rules.exclude_categories || []).concat(rules.exclude_products || []).join(", ")));
    }
    return out.length ? out.join(" · ") : O.all;
  }

  function whoWords(segments) {
    if (!segments || !segments.length) return C().everyone;
    return segments.map(function (s) { return C().segment[s] || s; }).join(S.lang === "zh" ? "、" : ", ");
  }

  function liveState(c) {
    if (c.status !== "active") return null;
    if (c.running) return "running";
    return Date.parse(c.starts_at) > serverNow() ? "before" : "after";
  }

  function statusChip(c) {
    return chip(C().status[c.status] || c.status, "camp-status", { "data-status": c.status, "data-testid": "camp-status" });
  }

  /** The list's one chip: the status, or for an active campaign outside its window, where it stands. */
  function listChip(c) {
    var state = liveState(c);
    if (!state || state === "running") return statusChip(c);
    return chip(C().notRunning[state], "camp-status", { "data-status": "idle", "data-testid": "camp-status" });
  }

  function liveChip(c) {
    var state = liveState(c);
    if (!state) return null;
    return chip(state === "running" ? C().running : C().notRunning[state], "camp-live", { "data-live": state });
  }

  /** Spent against budget as a thin bar (no cap: the amount committed only). */
  function budgetBar(c) {
    var box = el("div", "budget");
    var spent = Number(c.spent), budget = c.budget === null ? null : Number(c.budget);
    box.appendChild(el("div", "budget-text muted", budget === null ? C().budgetOpen(money(c.spent))
      : C().budgetOf(money(c.spent), money(c.budget))));
    if (budget !== null) {
      var bar = el("div", "budget-bar");
      var fill = el("span", "budget-fill");
      var share = budget > 0 ? Math.min(1, spent / budget) : 0;
      fill.style.width = Math.max(share > 0 ? 2 : 0, Math.round(share * 100)) + "%";
      if (share >= 0.9) fill.setAttribute("data-high", "true");
      bar.appendChild(fill);
      box.appendChild(bar);
    }
    return box;
  }

  // ------------------------------------------------------------------------------------------------ list
  function loadCampaigns(selectId) {
    var seq = ++CAMP.listSeq;
    api("GET", "/api/operator/campaigns?limit=200").then(function (data) {
      if (seq !== CAMP.listSeq) return;
      CAMP.list = data.campaigns;
      if (selectId) CAMP.selected = selectId;
      if (!CAMP.selected && CAMP.list.length) CAMP.selected = firstCampaign(CAMP.list);
      renderCampaignList();
      if (CAMP.selected) loadCampaign(CAMP.selected);
      else renderCampaignDetail();
    }, onApiError);
  }

  function firstCampaign(list) {
    var live = list.filter(function (c) { return c.running; });
    return (live[0] || list[0]).id;
  }

  function renderCampaignList() {
    var box = $("camp-list");
    clear(box);
    $("camp-list-title").textContent = C().listTitle;
    $("camp-new").textContent = C().create;
    var list = CAMP.list || [];
    $("camp-count").textContent = String(list.length);
    if (CAMP.list && !list.length) box.appendChild(emptyNote(C().empty, "camp-list-empty"));
    list.forEach(function (c) {
      var li = el("li");
      var b = el("button", "camp-row");
      b.type = "button";
      b.setAttribute("data-testid", "camp-row");
      b.setAttribute("data-id", c.id);
      b.setAttribute("data-status", c.status);
      b.setAttribute("aria-current", String(c.id === CAMP.selected));
      var top = el("div", "camp-row-top");
      top.appendChild(el("span", "camp-row-name", campName(c)));
      top.appendChild(listChip(c));
      b.appendChild(top);
      var meta = el("div", "camp-row-meta muted");
      meta.appendChild(el("span", null, C().type[c.rules.type] || c.rules.type));
      meta.appendChild(el("span", null, C().window(fmtDate(c.starts_at), fmtDate(c.ends_at))));
      b.appendChild(meta);
      b.appendChild(el("div", "camp-row-offer", offerWords(c.rules)));
      b.appendChild(budgetBar(c));
      b.addEventListener("click", function () { selectCampaign(c.id); });
      li.appendChild(b);
      box.appendChild(li);
    });
  }

  function selectCampaign(id) {
    if (CAMP.selected !== id) { CAMP.copy = null; CAMP.readout = null; }
    CAMP.selected = id;
    renderCampaignList();
    loadCampaign(id);
  }

  // ---------------------------------------------------------------------------------------------- detail
  function loadCampaign(id) {
    var seq = ++CAMP.detailSeq;
    Promise.all([api("GET", "/api/operator/campaigns/" + encodeURIComponent(id)),
      api("GET", "/api/operator/campaigns/" + encodeURIComponent(id) + "/readout")]).then(function (got) {
      if (seq !== CAMP.detailSeq) return;
      CAMP.detail = got[0];
      CAMP.readout = got[1];
      renderCampaignDetail();
    }, function (err) {
      if (seq !== CAMP.detailSeq) return;
      if (err && err.code === "unknown_campaign") { CAMP.selected = null; CAMP.detail = null; renderCampaignDetail(); }
      onApiError(err);
    });
  }

  /** After a change (form, dialog or chat): the list and the open campaign again. */
  function refreshCampaigns(id) {
    if (id) CAMP.selected = id;
    loadCampaigns(id);
  }

  function renderCampaignDetail() {
    var d = CAMP.detail, hasOne = !!(d && d.id === CAMP.selected);
    $("camp-body").hidden = !hasOne;
    $("camp-empty").hidden = hasOne;
    $("camp-empty").textContent = CAMP.list && !CAMP.list.length ? C().empty : C().pick;
    if (!hasOne) return;
    var A = C().actions;
    $("camp-name").textContent = campName(d);
    var chips = $("camp-chips");
    clear(chips);
    chips.appendChild(statusChip(d));
    var live = liveChip(d);
    if (live) chips.appendChild(live);
    chips.appendChild(chip(C().type[d.rules.type] || d.rules.type, "camp-type"));
    chips.appendChild(chip(C().kind[d.kind] || d.kind, "camp-kind"));
    chips.appendChild(chip(d.id, "camp-id"));
    [["camp-edit", A.edit], ["camp-copy", CAMP.copyBusy ? C().copy.drafting : A.copy], ["camp-pause", A.pause],
      ["camp-resume", A.resume], ["camp-end", A.end]].forEach(function (x) { $(x[0]).textContent = x[1]; });
    $("camp-edit").hidden = d.status === "ended";
    $("camp-pause").hidden = d.status !== "active";
    $("camp-resume").hidden = d.status !== "paused";
    $("camp-end").hidden = d.status === "ended";
    $("camp-copy").disabled = CAMP.copyBusy;
    renderFacts(d);
    renderCopy();
    renderReadout();
    renderHistory(d.changes);
  }

  function renderFacts(d) {
    var F = C().fields, box = $("camp-facts");
    clear(box);
    var rows = [[F.rules, offerWords(d.rules)], [F.window, C().window(fmtDateTime(d.starts_at), fmtDateTime(d.ends_at))],
      [F.who, whoWords(d.segments)], [F.scope, scopeWords(d.rules)],
      [F.budget, d.budget === null ? C().budgetOpen(money(d.spent)) : C().budgetOf(money(d.spent), money(d.budget))],
      [F.limit, d.per_customer_limit ? C().limitN(d.per_customer_limit) : C().noLimit]];
    if ((d.rules.keywords || []).length) rows.push([F.keywords, d.rules.keywords.join(" · ")]);
    rows.forEach(function (r) {
      var pair = el("div", "fact");
      pair.appendChild(el("dt", null, r[0]));
      pair.appendChild(el("dd", null, r[1]));
      box.appendChild(pair);
    });
  }

  // ------------------------------------------------------------------------------------------------ copy
  function draftCopy() {
    var id = CAMP.selected;
    if (!id || CAMP.copyBusy) return;
    CAMP.copyBusy = true;
    CAMP.copy = null;
    renderCampaignDetail();
    api("POST", "/api/operator/campaigns/" + encodeURIComponent(id) + "/copy").then(function (data) {
      CAMP.copyBusy = false;
      if (CAMP.selected === id) CAMP.copy = data;
      renderCampaignDetail();
    }, function (err) {
      CAMP.copyBusy = false;
      renderCampaignDetail();
      onApiError(err);
    });
  }

  function copyWhy(draft) {
    var P = C().copy;
    if (draft.source === "llm") return P.llm;
    return P.template + " · " + (P.why[draft.fallback] || P.whyOther);
  }

  /** The zh and en drafts with the path each came by (llm | template and why), as a card; shared with the chat. */
  function copyBlocks(copy) {
    var P = C().copy, box = el("div", "copy-blocks");
    ["zh", "en"].forEach(function (lang) {
      var draft = copy[lang];
      if (!draft) return;
      var block = el("div", "copy-block");
      block.setAttribute("data-testid", "copy-" + lang);
      block.setAttribute("data-source", draft.source);
      var head = el("div", "copy-head");
      head.appendChild(el("b", null, P[lang]));
      head.appendChild(chip(copyWhy(draft), "copy-source", { "data-source": draft.source, "data-testid": "copy-source" }));
      var btn = el("button", "link copy-btn", P.copyBtn);
      btn.type = "button";
      btn.addEventListener("click", function () {
        var done = function () { btn.textContent = P.copied; setTimeout(function () { btn.textContent = P.copyBtn; }, 1500); };
        if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(draft.text).then(done, done);
        else done();
      });
      head.appendChild(btn);
      block.appendChild(head);
      block.appendChild(el("p", "copy-text", draft.text));
      box.appendChild(block);
    });
    return box;
  }

  function renderCopy() {
    var card = $("camp-copy-card");
    clear(card);
    var busy = CAMP.copyBusy, data = CAMP.copy;
    card.hidden = !busy && !(data && data.campaign_id === CAMP.selected);
    if (card.hidden) return;
    card.appendChild(el("h3", null, C().copy.title));
    if (busy) { card.appendChild(el("p", "muted", C().copy.drafting)); return; }
    card.appendChild(copyBlocks(data.copy));
  }

  // --------------------------------------------------------------------------------------------- history
  function changeWords(entry) {
    var F = C().field;
    if (entry.action === "create") return [];
    return Object.keys(entry.changes || {}).map(function (field) {
      var ch = entry.changes[field];
      var show = function (v) {
        if (v === null || v === undefined) return "—";
        if (field === "status") return C().status[v] || v;
        if (field === "rules" && typeof v === "object") return offerWords(v);
        if (field === "segments" && Array.isArray(v)) return whoWords(v);
        if ((field === "starts_at" || field === "ends_at") && typeof v === "string") return fmtDateTime(v);
        return typeof v === "object" ? JSON.stringify(v) : String(v);
      };
      return (F[field] || field) + ": " + show(ch.from) + " → " + show(ch.to);
    });
  }

  function renderHistory(changes) {
    var H = C().history, box = $("camp-history");
    $("history-title").textContent = H.title;
    clear(box);
    if (!changes.length) { box.appendChild(el("li", "muted", H.empty)); return; }
    changes.forEach(function (entry) {
      var li = el("li", "hist");
      li.setAttribute("data-testid", "history-entry");
      li.setAttribute("data-action", entry.action);
      var top = el("div", "hist-top");
      top.appendChild(chip(H.action[entry.action] || entry.action, "hist-action", { "data-action": entry.action }));
      top.appendChild(el("span", "hist-who", H.by(entry.actor, label("role", entry.actor_role))));
      top.appendChild(el("span", "spacer"));
      top.appendChild(el("time", "muted hist-at", fmtDateTime(entry.at)));
      li.appendChild(top);
      changeWords(entry).forEach(function (line) { li.appendChild(el("div", "hist-change", line)); });
      var note = el("div", "hist-note" + (entry.note ? "" : " muted"), entry.note || H.noNote);
      note.setAttribute("data-testid", "history-note");
      li.appendChild(note);
      box.appendChild(li);
    });
  }

  function bindCampaigns() {
    $("camp-new").addEventListener("click", function () { openCampaignForm(null); });
    $("camp-edit").addEventListener("click", function () { if (CAMP.detail) openCampaignForm(CAMP.detail); });
    $("camp-copy").addEventListener("click", draftCopy);
    ["pause", "resume", "end"].forEach(function (action) {
      $("camp-" + action).addEventListener("click", function () { if (CAMP.detail) openMove(action, CAMP.detail); });
    });
    document.querySelectorAll("[data-seg-dim]").forEach(function (b) {
      b.addEventListener("click", function () { CAMP.segDim = b.getAttribute("data-seg-dim"); renderReadout(); });
    });
  }
