  // /static/demo.js, part page.js: the customer picker, the chosen customer's orders and examples, the widget calls.
  // Runs inside the script's one IIFE, like every part; parts and order: server/api/assets.py.
  function icon(name) { return svgIcon(ICON[name] || []); }

  var state = { ui: initialUiLang(), customers: [], selected: null, chatLang: "zh", convId: null };
  var $ = function (id) { return document.getElementById(id); };

  function initialUiLang() {
    var q = new URLSearchParams(location.search).get("lang");
    if (q === "zh" || q === "en") return q;
    try { var s = localStorage.getItem("kefu-demo-lang"); if (s === "zh" || s === "en") return s; } catch (_) {}
    return browserLanguage();
  }

  function avatar(c) {
    var a = el("div", "avatar", Array.from(c.name || c.customer_id || "?")[0]);
    a.style.background = pickColor(c.customer_id || c.name || "");
    a.setAttribute("aria-hidden", "true");
    return a;
  }

  /** The customer's id and language, under their name in the picker and in the details. */
  function custMeta(c) {
    var meta = el("div", "cust-meta");
    meta.appendChild(el("span", "mono", c.customer_id));
    var lang = el("span", "lang", T[state.ui].langName[c.language] || c.language || "?");
    lang.setAttribute("data-lang", c.language || "");
    meta.appendChild(lang);
    return meta;
  }

  function fmtDate(v) {
    var d = new Date(v);
    if (!v || isNaN(d.getTime())) return v || "";
    return d.toLocaleDateString(state.ui === "zh" ? "zh-CN" : "en-US", { year: "numeric", month: "short", day: "numeric" });
  }

  function statusLabel(s) { return ORDER_STATUS[state.ui][s] || s || ""; }

  // ---- page language ----
  function applyUiLang() {
    var t = T[state.ui];
    document.documentElement.lang = state.ui === "zh" ? "zh-CN" : "en";
    document.title = t.title;
    document.querySelectorAll("[data-i18n]").forEach(function (n) {
      var v = t[n.getAttribute("data-i18n")];
      if (typeof v === "string") n.textContent = v;
    });
    document.querySelectorAll("[data-i18n-label]").forEach(function (n) {
      n.setAttribute("aria-label", t[n.getAttribute("data-i18n-label")]);
    });
    document.querySelectorAll("[data-ui-lang]").forEach(function (b) {
      b.setAttribute("aria-pressed", b.getAttribute("data-ui-lang") === state.ui ? "true" : "false");
    });
    if (state.customers.length) renderPicker();
    renderDetail();
  }

  document.querySelectorAll("[data-ui-lang]").forEach(function (b) {
    b.addEventListener("click", function () {
      state.ui = b.getAttribute("data-ui-lang");
      try { localStorage.setItem("kefu-demo-lang", state.ui); } catch (_) {}
      applyUiLang();
    });
  });

  // ---- customers ----
  function loadCustomers() {
    var picker = $("picker");
    picker.textContent = "";
    picker.setAttribute("aria-busy", "true");
    picker.appendChild(el("div", "state-msg", T[state.ui].loading));
    fetch("/api/demo/customers?limit=12", { headers: { Accept: "application/json" } })
      .then(function (res) {
        return res.json().catch(function () { return null; }).then(function (data) {
          if (!res.ok) throw new Error((data && data.error && data.error.message) || res.status + " " + res.statusText);
          return data;
        });
      })
      .then(function (data) {
        state.customers = Array.isArray(data) ? data : [];
        picker.removeAttribute("aria-busy");
        renderPicker();
        if (state.customers.length) select(state.customers[0].customer_id, false);
      })
      .catch(function (e) {
        picker.removeAttribute("aria-busy");
        picker.textContent = "";
        var msg = el("div", "state-msg", T[state.ui].loadFailed + (e && e.message ? e.message : e));
        msg.setAttribute("data-kind", "error");
        var retry = el("button", "link-btn", T[state.ui].retry);
        retry.type = "button";
        retry.addEventListener("click", loadCustomers);
        msg.appendChild(retry);
        picker.appendChild(msg);
      });
  }

  function renderPicker() {
    var t = T[state.ui];
    var picker = $("picker");
    picker.textContent = "";
    if (!state.customers.length) {
      picker.appendChild(el("div", "state-msg", t.noCustomers));
      return;
    }
    state.customers.forEach(function (c) {
      var b = el("button", "cust");
      b.type = "button";
      b.setAttribute("role", "radio");
      b.setAttribute("data-customer-id", c.customer_id);
      b.setAttribute("data-language", c.language || "");
      var on = state.selected && state.selected.customer_id === c.customer_id;
      b.setAttribute("aria-checked", on ? "true" : "false");
      b.tabIndex = on || (!state.selected && c === state.customers[0]) ? 0 : -1;
      b.appendChild(avatar(c));
      var main = el("div", "cust-main");
      main.appendChild(el("div", "cust-name", c.name || c.customer_id));
      var meta = custMeta(c);
      var orders = Array.isArray(c.orders) ? c.orders : [];
      meta.appendChild(el("span", "", t.orders(orders.length)));
      main.appendChild(meta);
      b.appendChild(main);
      b.addEventListener("click", function () { select(c.customer_id, true); });
      picker.appendChild(b);
    });
  }

  // Arrow keys move within the radio group.
  $("picker").addEventListener("keydown", function (e) {
    var keys = { ArrowDown: 1, ArrowRight: 1, ArrowUp: -1, ArrowLeft: -1 };
    if (!(e.key in keys) || !state.customers.length) return;
    e.preventDefault();
    var i = state.customers.findIndex(function (c) { return state.selected && c.customer_id === state.selected.customer_id; });
    var next = state.customers[(i + keys[e.key] + state.customers.length) % state.customers.length];
    select(next.customer_id, true);
    var btn = document.querySelector('.cust[data-customer-id="' + CSS.escape(next.customer_id) + '"]');
    if (btn) btn.focus();
  });

  function currentTarget() {
    var c = state.selected;  // the demo store signs for its demo customers (a real store's backend would)
    return { customerId: c ? c.customer_id : null, customerSig: c ? c.customer_sig : null, language: state.chatLang };
  }

  /** Pick a customer: chat language defaults to theirs; an open chat restarts for the new customer. */
  function select(customerId, byUser) {
    var c = state.customers.find(function (x) { return x.customer_id === customerId; });
    if (!c) return;
    var changed = !state.selected || state.selected.customer_id !== c.customer_id;
    state.selected = c;
    state.chatLang = c.language === "en" ? "en" : "zh";
    $("chat-language").value = state.chatLang;
    renderPicker();
    renderDetail();
    window.Kefu.init(currentTarget()); // the launcher opens chat for this customer
    if (byUser && changed && isChatOpen()) openChat();
  }

  function isChatOpen() {
    var panel = document.querySelector('[data-testid="kefu-panel"]');
    return !!panel && !panel.hidden;
  }

  function ordersOf(c) {
    return (Array.isArray(c.orders) ? c.orders : []).slice().sort(function (a, b) {
      return String(b.placed_at || "").localeCompare(String(a.placed_at || ""));
    });
  }

  function pickOrder(c, statuses) {
    var list = ordersOf(c);
    for (var i = 0; i < list.length; i++) if (statuses.indexOf(list[i].status) !== -1) return list[i];
    return list[0] || null;
  }

  function renderDetail() {
    var t = T[state.ui];
    var c = state.selected;
    var who = $("who"), orders = $("orders"), examples = $("examples");
    who.textContent = ""; orders.textContent = ""; examples.textContent = "";
    $("start-chat").disabled = !c;
    if (typeof renderCall === "function") renderCall();
    if (!c) return;
    who.appendChild(avatar(c));
    var box = el("div");
    box.appendChild(el("div", "who-name", c.name || c.customer_id));
    box.appendChild(custMeta(c));
    who.appendChild(box);

    var list = ordersOf(c);
    if (!list.length) orders.appendChild(el("li", "date", t.noOrders));
    list.forEach(function (o) {
      var li = el("li");
      li.setAttribute("data-order-id", o.order_id);
      li.setAttribute("data-status", o.status || "");
      li.appendChild(el("span", "mono", o.order_id));
      var st = el("span", "status", statusLabel(o.status));
      st.setAttribute("data-status", o.status || "");
      li.appendChild(st);
      li.appendChild(el("span", "date grow", fmtDate(o.placed_at)));
      var ask = el("button", "ask-btn", t.ask);
      ask.type = "button";
      ask.setAttribute("aria-label", t.ask + " " + o.order_id);
      ask.addEventListener("click", function () { ask_(QUESTIONS[state.chatLang].order(o.order_id)); });
      li.appendChild(ask);
      orders.appendChild(li);
    });

    // Example questions use the chosen customer's own orders.
    var transit = pickOrder(c, ["shipped", "paid"]);
    var delivered = pickOrder(c, ["delivered"]);
    var q = QUESTIONS[state.chatLang];
    var items = [];
    if (transit) items.push(["order", q.order(transit.order_id)]);
    items.push(["policy", q.policy()], ["product", q.product()]);
    if (delivered) items.push(["return", q.return(delivered.order_id)]);
    items.push(["human", q.human()]);
    items.forEach(function (it) {
      var b = el("button", "example");
      b.type = "button";
      b.setAttribute("data-testid", "example-question");
      b.setAttribute("data-kind", it[0]);
      b.appendChild(el("span", "ico")).appendChild(icon(it[0]));
      b.appendChild(el("span", "q", it[1]));
      b.appendChild(el("span", "kind", t.kinds[it[0]]));
      b.addEventListener("click", function () { ask_(it[1]); });
      examples.appendChild(b);
    });
    renderConv();
  }

  function renderConv() {
    $("conv").textContent = state.convId ? T[state.ui].conv(state.convId) : "";
  }

  // ---- chat ----
  function openChat() {
    return window.Kefu.open(currentTarget()).catch(function () { /* the widget shows the error */ });
  }

  function ask_(text) {
    openChat();
    window.Kefu.send(text).catch(function () { /* shown on the message */ });
  }

  $("start-chat").addEventListener("click", openChat);
  $("chat-language").addEventListener("change", function () {
    state.chatLang = this.value === "en" ? "en" : "zh";
    window.Kefu.init(currentTarget());
    renderDetail();
    if (isChatOpen()) openChat(); // a language change starts a new conversation in that language
  });
  window.addEventListener("kefu:conversation", function (e) {
    state.convId = e.detail && e.detail.conversationId;
    renderConv();
  });

  window.addEventListener("kefu:open", function () { document.body.classList.add("chat-open"); });
  window.addEventListener("kefu:close", function () { document.body.classList.remove("chat-open"); });
  document.querySelectorAll("[data-icon]").forEach(function (n) { n.insertBefore(icon(n.getAttribute("data-icon")), n.firstChild); });

  applyUiLang();
  loadCustomers();
