  // /static/console.js, part linked.js: the "linked accounts" panel beside a conversation (the identity graph).
  // Runs inside the script's one IIFE, like every part; parts and order: server/api/assets.py.
  // The accounts that share a device, phone, address or payment token with this customer, each shared value
  // masked as the server sends it; fetched once per customer, re-drawn when the page language changes.
  var LINKED = {
    zh: {
      title: "关联账户", none: "没有与其他账户共用的设备、电话、地址或支付方式。", anonymous: "匿名会话，没有账户。",
      loading: "正在加载…", failed: "关联账户加载失败。",
      kinds: { device: "设备", phone: "电话", address: "地址", payment: "支付" },
      summary: function (n, kinds) { return "与 " + (n - 1) + " 个账户关联（" + kinds + "）"; },
      account: function (a) { return a.orders + " 单 · 新人券 " + a.new_customer_coupons; },
      coupons: function (n) { return "这一组共领过 " + n + " 张新人券；同组账户不能再领新人券。"; },
      shared: "共用", self: "（当前顾客）",
    },
    en: {
      title: "Linked accounts", none: "Shares no device, phone, address or payment method with another account.",
      anonymous: "Anonymous conversation: no account.", loading: "Loading…", failed: "Could not load linked accounts.",
      kinds: { device: "device", phone: "phone", address: "address", payment: "payment" },
      summary: function (n, kinds) { return "Linked to " + (n - 1) + " account" + (n > 2 ? "s" : "") + " (" + kinds + ")"; },
      account: function (a) { return a.orders + " orders · " + a.new_customer_coupons + " new-customer coupons"; },
      coupons: function (n) { return "This group got " + n + " new-customer coupons; its accounts can get no more."; },
      shared: "shared by", self: " (this customer)",
    },
  };
  var linkedCache = { id: null, data: null, failed: false };

  function renderLinked() {
    var box = $("linked");
    var L = LINKED[S.lang];
    $("linked-title").textContent = L.title;
    clear(box);
    var c = S.detail && S.detail.customer;
    if (!c) { box.appendChild(el("p", "muted", L.anonymous)); return; }
    if (linkedCache.id !== c.id) {
      linkedCache = { id: c.id, data: null, failed: false };
      api("GET", "/api/operator/customers/" + encodeURIComponent(c.id) + "/linked").then(function (d) {
        if (linkedCache.id !== c.id) return;
        linkedCache.data = d;
        renderLinked();
      }, function () {
        if (linkedCache.id !== c.id) return;
        linkedCache.failed = true;
        renderLinked();
      });
    }
    if (linkedCache.failed) { box.appendChild(el("p", "muted", L.failed)); return; }
    if (!linkedCache.data) { box.appendChild(el("p", "muted", L.loading)); return; }
    var g = linkedCache.data.group;
    if (!g) { box.appendChild(el("p", "muted", L.none)); box.setAttribute("data-linked", "0"); return; }
    box.setAttribute("data-linked", String(g.accounts.length - 1));
    var kinds = g.kinds.map(function (k) { return L.kinds[k] || k; }).join(S.lang === "zh" ? "、" : ", ");
    var head = el("p", "linked-summary", L.summary(g.accounts.length, kinds));
    head.setAttribute("data-testid", "linked-summary");
    box.appendChild(head);
    if (g.new_customer_coupons > 1) {
      var warn = el("p", "linked-warning", L.coupons(g.new_customer_coupons));
      warn.setAttribute("data-testid", "linked-warning");
      box.appendChild(warn);
    }
    var ol = el("ol", "linked-accounts");
    g.accounts.forEach(function (a) {
      var li = el("li");
      li.setAttribute("data-testid", "linked-account");
      li.setAttribute("data-customer-id", a.customer_id);
      li.appendChild(el("b", null, a.customer_id + " " + a.name + (a.customer_id === c.id ? L.self : "")));
      li.appendChild(el("div", "muted", L.account(a)));
      ol.appendChild(li);
    });
    box.appendChild(ol);
    var ul = el("ul", "linked-evidence");
    g.evidence.forEach(function (v) {
      var li = el("li");
      li.setAttribute("data-testid", "linked-evidence");
      li.setAttribute("data-kind", v.kind);
      li.appendChild(el("span", "chip", L.kinds[v.kind] || v.kind));
      li.appendChild(el("code", null, v.value));
      li.appendChild(el("span", "muted", " " + L.shared + " " + v.accounts.join(", ")));
      ul.appendChild(li);
    });
    box.appendChild(ul);
  }
