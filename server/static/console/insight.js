  // /static/console.js, part insight.js: customer insight. Beside a conversation, the customer's profile (behaviour
  // segment, RFM, churn risk and why, needs with the words that showed them, favourite categories, price band:
  // GET /api/operator/customers/{id}/profile); in the marketing view, the at-risk list (GET
  // /api/operator/marketing/churn). Runs inside the script's one IIFE, like every part; parts and order:
  // server/api/assets.py. Every value goes in with textContent.
  STRINGS.zh.insightTitle = "顾客画像";
  STRINGS.zh.churnTitle = "流失预警";
  STRINGS.en.churnTitle = "Customers likely to lapse";
  STRINGS.en.insightTitle = "Customer insight";
  STRINGS.zh.camp.panes.churn = "流失预警";
  STRINGS.en.camp.panes.churn = "Churn risk";
  STRINGS.zh.ins = {
    loading: "正在生成画像…", none: "匿名会话，没有画像", failed: "画像暂不可用",
    segment: { champions: "重要价值客户", loyal: "忠诚客户", potential_loyalist: "潜力客户", new: "新客户",
      promising: "有潜力的新客", need_attention: "需要关注", about_to_sleep: "即将沉睡", at_risk: "流失风险客户",
      cant_lose: "不能失去的客户", hibernating: "沉睡客户", no_orders: "尚未下单" },
    churn: function (p) { return "流失风险 " + p + "%"; }, high: "高", rfm: "RFM",
    rfmLine: function (r) { return r.frequency + " 单 · ¥" + r.monetary.toFixed(2) + " · 最近下单 " + Math.round(r.recency_days) + " 天前"; },
    needs: "关注点", noNeeds: "评价和留言里还看不出关注点", categories: "常买类目", priceBand: "价位",
    band: { low: "偏低", mid: "中等", high: "偏高", unknown: "未知" },
    reviews: function (n, avg) { return n ? n + " 条评价 · 平均 " + avg.toFixed(1) + " 星" : "没有评价"; },
    items: function (n) { return n + " 件"; },
    reason: {
      overdue: function (r) { return "已 " + r.days + " 天未下单（平时约 " + r.usual_gap + " 天一单）"; },
      one_order: function (r) { return "只下过一单，已 " + r.days + " 天"; },
      complaints: function (r) { return "近半年 " + r.count + " 条差评"; },
      returns: function (r) { return "近半年退货 " + r.count + " 次"; },
      ratings_falling: function (r) { return "评分下降 " + r.by + " 星"; },
      not_browsing: function () { return "近 90 天没有浏览"; },
    },
    list: { title: "流失预警", customer: "顾客", risk: "流失风险", segment: "分层", orders: "订单", spend: "消费",
      last: "距上次下单", reasons: "原因", days: function (n) { return n + " 天"; }, empty: "没有可评分的顾客（需要一年内的订单）",
      about: function (d) { return "截至 " + d.as_of.slice(0, 10) + " · 预测未来 " + d.horizon_days + " 天不下单的可能 · 模型基于 " + d.trained_on + " 个顾客月训练 · 共评分 " + d.scored + " 位顾客"; } },
  };
  STRINGS.en.ins = {
    loading: "Building the profile…", none: "Anonymous conversation: no profile", failed: "Profile unavailable",
    segment: { champions: "Champion", loyal: "Loyal", potential_loyalist: "Potential loyalist", new: "New customer",
      promising: "Promising", need_attention: "Needs attention", about_to_sleep: "About to sleep", at_risk: "At risk",
      cant_lose: "Can't lose them", hibernating: "Hibernating", no_orders: "No orders yet" },
    churn: function (p) { return "Churn risk " + p + "%"; }, high: "high", rfm: "RFM",
    rfmLine: function (r) { return r.frequency + " orders · ¥" + r.monetary.toFixed(2) + " · last order " + Math.round(r.recency_days) + " days ago"; },
    needs: "Cares about", noNeeds: "No needs show in their reviews and messages yet", categories: "Buys most",
    priceBand: "Price band", band: { low: "low", mid: "mid", high: "high", unknown: "unknown" },
    reviews: function (n, avg) { return n ? n + " reviews · " + avg.toFixed(1) + " stars on average" : "No reviews"; },
    items: function (n) { return n + (n === 1 ? " item" : " items"); },
    reason: {
      overdue: function (r) { return "No order for " + r.days + " days (usually every " + r.usual_gap + ")"; },
      one_order: function (r) { return "One order only, " + r.days + " days ago"; },
      complaints: function (r) { return r.count + " negative review" + (r.count === 1 ? "" : "s") + " in 6 months"; },
      returns: function (r) { return r.count + " return" + (r.count === 1 ? "" : "s") + " in 6 months"; },
      ratings_falling: function (r) { return "Ratings down " + r.by + " stars"; },
      not_browsing: function () { return "No browsing in 90 days"; },
    },
    list: { title: "Churn risk", customer: "Customer", risk: "Churn risk", segment: "Segment", orders: "Orders",
      spend: "Spend", last: "Last order", reasons: "Why", days: function (n) { return n + " days ago"; },
      empty: "No customer to score (it takes orders within the past year)",
      about: function (d) { return "As of " + d.as_of.slice(0, 10) + " · likelihood of no order in the next " + d.horizon_days + " days · model trained on " + d.trained_on + " customer-months · " + d.scored + " customers scored"; } },
  };

  var INS = { profiles: {}, seq: 0, churn: null, churnSeq: 0 };

  function insT() { return STRINGS[S.lang].ins; }

  function reasonText(r) {
    var f = insT().reason[r.code];
    return f ? f(r) : r.code;
  }

  /** The profile panel of the open conversation; fetched once per customer and conversation opened. */
  function renderInsight() {
    var box = $("insight");
    clear(box);
    var c = S.detail && S.detail.conversation;
    var id = c && c.customer_id;
    if (!id) { box.appendChild(el("p", "muted", insT().none)); return; }
    var got = INS.profiles[id];
    if (got && got.conversation === S.selected) { if (got.data) fillInsight(box, got.data); else box.appendChild(el("p", "muted", got.failed ? insT().failed : insT().loading)); return; }
    INS.profiles[id] = { conversation: S.selected, data: null };
    box.appendChild(el("p", "muted", insT().loading));
    var seq = ++INS.seq;
    api("GET", "/api/operator/customers/" + encodeURIComponent(id) + "/profile").then(function (p) {
      INS.profiles[id].data = p;
      if (seq === INS.seq && S.detail && S.detail.conversation && S.detail.conversation.customer_id === id) renderInsight();
    }, function (err) {
      INS.profiles[id].failed = true;
      if (seq === INS.seq) renderInsight();
      if (err && err.status === 401) onApiError(err);
    });
  }

  function fillInsight(box, p) {
    var L = insT();
    var chips = el("div", "chips");
    chips.appendChild(chip(L.segment[p.segment] || p.segment, "segment", { "data-testid": "insight-segment", "data-segment": p.segment }));
    if (p.churn) {
      var pct = Math.round(p.churn.risk * 100);
      chips.appendChild(chip(L.churn(pct), p.churn.high ? "risk-high" : "", { "data-testid": "insight-churn", "data-risk": String(p.churn.risk) }));
    }
    box.appendChild(chips);
    if (p.rfm) {
      var line = el("div", "insight-rfm", L.rfm + " " + p.rfm.code + " · " + L.rfmLine(p.rfm));
      line.setAttribute("data-testid", "insight-rfm");
      box.appendChild(line);
    }
    if (p.churn && p.churn.reasons.length) {
      var why = el("ul", "insight-reasons");
      why.setAttribute("data-testid", "insight-reasons");
      p.churn.reasons.forEach(function (r) { why.appendChild(el("li", null, reasonText(r))); });
      box.appendChild(why);
    }
    var dl = el("dl", "profile");
    function row(key, node, testid) {
      dl.appendChild(el("dt", null, key));
      var dd = el("dd");
      dd.setAttribute("data-testid", testid);
      if (typeof node === "string") dd.textContent = node; else dd.appendChild(node);
      dl.appendChild(dd);
    }
    var needs = el("div", "chips");
    if (!p.needs.length) needs.appendChild(el("span", "muted", L.noNeeds));
    p.needs.forEach(function (n) {
      var name = S.lang === "zh" ? n.name_zh : n.name_en;
      var c = chip(name + " ×" + n.count, "need", { "data-need": n.tag });
      c.title = n.words.join(" · ");
      needs.appendChild(c);
      needs.appendChild(el("span", "muted small need-words", "「" + n.words.join("、") + "」"));
    });
    row(L.needs, needs, "insight-needs");
    row(L.categories, p.categories.map(function (c) { return (S.lang === "zh" ? c.name_zh : c.name_en) + " " + L.items(c.items); }).join(" · ") || "—", "insight-categories");
    row(L.priceBand, L.band[p.price_band] || p.price_band, "insight-price-band");
    row("★", L.reviews(p.reviews, p.mean_rating || 0), "insight-reviews");
    box.appendChild(dl);
  }

  // ------------------------------------------------------------------------------------- at-risk list
  function loadChurn() {
    var seq = ++INS.churnSeq;
    mktStatus(true);
    api("GET", "/api/operator/marketing/churn?limit=50").then(function (d) {
      if (seq !== INS.churnSeq) return;
      INS.churn = d;
      mktStatus(false);
      renderChurn();
    }, function (err) { if (seq === INS.churnSeq) { mktStatus(false); onApiError(err); } });
  }

  function renderChurn() {
    var box = $("mkt-churn-body");
    clear(box);
    var d = INS.churn;
    if (!d) return;
    var L = insT().list, I = insT();
    $("mkt-churn-about").textContent = d.horizon_days ? L.about(d) : "";
    if (!d.customers.length) { box.appendChild(el("p", "muted", L.empty)); return; }
    var table = el("table", "mkt-table churn-table");
    table.setAttribute("data-testid", "churn-table");
    var head = el("tr");
    [[L.customer, ""], [L.risk, "num"], [L.segment, ""], [L.orders, "num"], [L.spend, "num"], [L.last, "num"], [L.reasons, ""]]
      .forEach(function (h) { head.appendChild(el("th", h[1], h[0])); });
    table.appendChild(el("thead")).appendChild(head);
    var body = el("tbody");
    d.customers.forEach(function (r) {
      var tr = el("tr");
      tr.setAttribute("data-customer-id", r.customer_id);
      tr.setAttribute("data-testid", "churn-row");
      var who = el("td");
      who.appendChild(el("div", null, r.name));
      who.appendChild(el("div", "muted small", r.customer_id));
      tr.appendChild(who);
      var risk = el("td", "num churn-risk", Math.round(r.risk * 100) + "%");
      risk.setAttribute("data-risk", String(r.risk));
      tr.appendChild(risk);
      tr.appendChild(el("td", null, I.segment[r.segment] || r.segment));
      tr.appendChild(el("td", "num", String(r.orders)));
      tr.appendChild(el("td", "num", "¥" + r.spend.toFixed(2)));
      tr.appendChild(el("td", "num", L.days(r.last_order_days)));
      tr.appendChild(el("td", "small", r.reasons.map(reasonText).join("；")));
      body.appendChild(tr);
    });
    table.appendChild(body);
    box.appendChild(table);
  }
