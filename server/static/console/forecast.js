  // /static/console.js, part forecast.js: the marketing view's forecast pane. A marketer proposes a campaign (满X减Y
  // or percent off, categories, window) and sees orders and revenue over the window without and with it (KPI cards,
  // a daily chart, the table), and, when asked, DoWhy's refutations. The figures come from
  // POST /api/operator/marketing/forecast (server/operators/campaign_forecast.py). Part of the one IIFE.
  var FC_STRINGS = {
    zh: {
      type: "活动类型", types: { full_reduction: "满减（满X减Y）", percent_off: "折扣（百分比）" },
      threshold: "门槛（元）", discountYuan: "减（元）", discountPct: "折扣（%）", categories: "品类（留空为全场）",
      start: "开始日期", days: "天数", refute: "同时运行反驳检验（约多 10 秒）", submit: "预测", running: "预测中…",
      ordersWithout: "不做活动的订单", ordersWith: "做活动的订单", revenueWithout: "不做活动的销售额",
      revenueWith: "做活动的销售额", lift: function (x) { return "提升 " + x; },
      learnt: function (r) { return "从过去 " + r.campaigns_learnt + " 场活动、" + r.history_days + " 天数据学得；" +
        "范围覆盖 " + (r.scope_share * 100).toFixed(0) + "% 的订单。"; },
      daily: "每日预测", seriesWithout: "不做活动", seriesWith: "做活动",
      cols: { day: "日期", ow: "订单（无）", oww: "订单（有）", rw: "销售额（无）", rww: "销售额（有）" },
      refutations: "DoWhy 反驳检验", refCols: { outcome: "指标", method: "方法", estimate: "估计", new: "检验后", p: "p 值", ok: "结论" },
      outcomes: { orders: "订单", basket: "客单价" }, passed: "通过", failed: "未通过",
      methods: { placebo_treatment_refuter: "安慰剂处理", random_common_cause: "随机共同原因", data_subset_refuter: "数据子集" },
    },
    en: {
      type: "Campaign type", types: { full_reduction: "Spend X save Y (满减)", percent_off: "Percent off" },
      threshold: "Threshold (¥)", discountYuan: "Save (¥)", discountPct: "Percent off", categories: "Categories (empty: store-wide)",
      start: "Start", days: "Days", refute: "Also run the refutation checks (~10 s more)", submit: "Forecast", running: "Forecasting…",
      ordersWithout: "Orders without", ordersWith: "Orders with", revenueWithout: "Revenue without",
      revenueWith: "Revenue with", lift: function (x) { return "lift " + x; },
      learnt: function (r) { return "Learnt from " + r.campaigns_learnt + " past campaigns over " + r.history_days +
        " days; the scope reaches " + (r.scope_share * 100).toFixed(0) + "% of orders."; },
      daily: "Daily forecast", seriesWithout: "Without", seriesWith: "With",
      cols: { day: "Day", ow: "Orders w/o", oww: "Orders with", rw: "Revenue w/o", rww: "Revenue with" },
      refutations: "DoWhy refutations", refCols: { outcome: "Outcome", method: "Method", estimate: "Estimate", new: "Refuted", p: "p", ok: "Result" },
      outcomes: { orders: "Orders", basket: "Order value" }, passed: "passed", failed: "failed",
      methods: { placebo_treatment_refuter: "Placebo treatment", random_common_cause: "Random common cause", data_subset_refuter: "Data subset" },
    },
  };
  var FC = { result: null, bound: false };
  var FC_COLORS = ["#94a3b8", "#6366f1"];

  function F() { return FC_STRINGS[S.lang] || FC_STRINGS.zh; }

  function renderForecastForm() {
    var L = F(), kind = $("fc-type").value || "full_reduction";
    $("fc-type-label").textContent = L.type;
    $("fc-type").querySelectorAll("option").forEach(function (o) { o.textContent = L.types[o.value]; });
    $("fc-threshold-label").textContent = L.threshold;
    $("fc-discount-label").textContent = kind === "percent_off" ? L.discountPct : L.discountYuan;
    $("fc-threshold-field").hidden = kind === "percent_off";
    $("fc-categories-label").textContent = L.categories;
    $("fc-start-label").textContent = L.start;
    $("fc-days-label").textContent = L.days;
    $("fc-refute-label").textContent = L.refute;
    $("fc-submit").textContent = L.submit;
    if (!FC.bound) {
      FC.bound = true;
      $("fc-type").addEventListener("change", renderForecastForm);
      $("fc-form").addEventListener("submit", function (ev) { ev.preventDefault(); runForecast(); });
    }
    renderForecast();
  }

  function runForecast() {
    var kind = $("fc-type").value, body = { type: kind, discount: Number($("fc-discount").value),
      days: Number($("fc-days").value), refute: $("fc-refute").checked };
    if (kind === "full_reduction") body.threshold = Number($("fc-threshold").value);
    var cats = $("fc-categories").value.split(/[\s,，]+/).filter(Boolean);
    if (cats.length) body.categories = cats;
    if ($("fc-start").value) body.start = $("fc-start").value;
    $("fc-status").textContent = F().running;
    $("fc-submit").disabled = true;
    api("POST", "/api/operator/marketing/forecast", body).then(function (r) {
      FC.result = r;
      $("fc-status").textContent = "";
      renderForecast();
    }, function (err) {
      $("fc-status").textContent = errorText(err);
      onApiError(err);
    }).then(function () { $("fc-submit").disabled = false; });
  }

  function fcMoney(x) { return "¥" + Math.round(x).toLocaleString(S.lang === "zh" ? "zh-CN" : "en-GB"); }

  function renderForecast() {
    var L = F(), r = FC.result, box = $("fc-result");
    clear(box);
    if (!r) return;
    var kpis = el("div", "mkt-kpis");
    kpis.setAttribute("data-testid", "fc-kpis");
    kpis.appendChild(kpiCard("fc-orders-without", L.ordersWithout, r.orders_without.toFixed(0), "", null));
    kpis.appendChild(kpiCard("fc-orders-with", L.ordersWith, r.orders_with.toFixed(0), L.lift(pct(r.orders_lift)), null));
    kpis.appendChild(kpiCard("fc-revenue-without", L.revenueWithout, fcMoney(r.revenue_without), "", null));
    kpis.appendChild(kpiCard("fc-revenue-with", L.revenueWith, fcMoney(r.revenue_with), L.lift(pct(r.revenue_lift)), null));
    box.appendChild(kpis);
    var card = el("section", "stat-card mkt-card");
    card.appendChild(el("h3", null, L.daily));
    card.appendChild(el("p", "muted small", L.learnt(r)));
    card.appendChild(columnChart(r.daily.map(function (d) {
      return { key: d.day, label: d.day.slice(5), values: [Math.round(d.orders_without), Math.round(d.orders_with)] };
    }), FC_COLORS, "fc-chart", Math.ceil(r.daily.length / 10), { w: 760, h: 170 }));
    card.appendChild(legend([[L.seriesWithout, FC_COLORS[0]], [L.seriesWith, FC_COLORS[1]]]));
    var table = el("table", "mkt-table");
    table.setAttribute("data-testid", "fc-table");
    var head = el("tr");
    [L.cols.day, L.cols.ow, L.cols.oww, L.cols.rw, L.cols.rww].forEach(function (h, i) { head.appendChild(el("th", i ? "num" : "", h)); });
    table.appendChild(el("thead")).appendChild(head);
    var tbody = el("tbody");
    r.daily.forEach(function (d) {
      var tr = el("tr");
      tr.setAttribute("data-testid", "fc-day");
      [d.day, d.orders_without.toFixed(1), d.orders_with.toFixed(1), fcMoney(d.revenue_without), fcMoney(d.revenue_with)]
        .forEach(function (v, i) { tr.appendChild(el("td", i ? "num" : "", v)); });
      tbody.appendChild(tr);
    });
    table.appendChild(tbody);
    card.appendChild(table);
    box.appendChild(card);
    if (r.refutations.length) {
      var ref = el("section", "stat-card mkt-card");
      ref.setAttribute("data-testid", "fc-refutations");
      ref.appendChild(el("h3", null, L.refutations));
      var rt = el("table", "mkt-table"), rh = el("tr"), K = L.refCols;
      [K.outcome, K.method, K.estimate, K.new, K.p, K.ok].forEach(function (h) { rh.appendChild(el("th", null, h)); });
      rt.appendChild(el("thead")).appendChild(rh);
      var rb = el("tbody");
      r.refutations.forEach(function (x) {
        var tr = el("tr");
        tr.setAttribute("data-testid", "fc-refutation");
        tr.setAttribute("data-passed", String(x.passed));
        [L.outcomes[x.outcome], L.methods[x.method] || x.method, x.estimate.toFixed(4), x.new_effect.toFixed(4),
          x.p_value === null ? "—" : x.p_value.toFixed(2), x.passed ? L.passed : L.failed]
          .forEach(function (v) { tr.appendChild(el("td", null, v)); });
        rb.appendChild(tr);
      });
      rt.appendChild(rb);
      ref.appendChild(rt);
      box.appendChild(ref);
    }
  }
