/*
 * Kefu (客服) operator console — vanilla JS, no dependencies, no build step.
 *
 * Talks to /api/operator/* (session cookie, set by POST /api/operator/login) and WS /ws/operator
 * (same cookie). Safety: every piece of customer, bot and operator text is inserted with textContent
 * or createTextNode, never innerHTML; the page's CSP forbids inline and foreign scripts besides.
 */
(function () {
  "use strict";

  var STRINGS = {
    zh: {
      title: "客服控制台", langToggle: "English", logout: "退出登录",
      signInTitle: "登录客服控制台", username: "用户名", password: "密码", signIn: "登录",
      queue: "待接入队列", live: "实时会话", queueEmpty: "暂无排队的会话", pickConversation: "从左侧选择一个会话",
      takeover: "接管", handback: "交还机器人", resolve: "结束并邀评", send: "发送", addNote: "添加备注",
      showDetails: "显示意图、情绪与工具事件", customerTyping: "顾客正在输入…",
      suggestions: "建议回复", canned: "快捷回复", notes: "内部备注", customer: "顾客资料", orders: "订单",
      pastConversations: "历史会话", statsTitle: "主管视图", statsRefresh: "刷新",
      composerPlaceholder: "输入回复，Enter 发送，Shift+Enter 换行",
      notePlaceholder: "内部备注（仅客服可见，不会发给顾客）",
      hintTakeover: "接管会话后才能回复顾客", hintHeldBy: function (o) { return "会话由 " + o + " 处理中"; },
      hintYou: "您正在处理此会话，机器人已静默",
      online: "已连接", offline: "连接断开，正在重连…", connecting: "连接中…",
      guest: "访客", you: "您", bot: "机器人", operatorWho: function (o) { return "客服 " + o; }, customerWho: "顾客",
      waiting: "等待", noSuggestions: "暂无建议", noNotes: "暂无备注", noOrders: "暂无订单", noPast: "暂无历史会话",
      noCustomer: "匿名访客（未登录）",
      role: { operator: "客服", supervisor: "主管", marketer: "营销" },
      handoff: { bot: "机器人", queued: "排队中", operator: "人工" },
      channel: { web: "网页", voice: "电话", api: "API" },
      language: { zh: "中文", en: "英文" },
      affect: { anger: "愤怒", anxiety: "焦虑", disappointment: "失望", neutral: "平静", satisfaction: "满意" },
      intent: { order_status: "查物流", return_request: "退货", policy_question: "政策咨询", product_search: "找商品",
        coupon_question: "优惠券", human: "转人工", complaint: "投诉", greeting: "问候", thanks: "感谢",
        goodbye: "告别", affirm: "肯定", deny: "否定", other: "其他" },
      orderStatus: { pending_payment: "待付款", paid: "待发货", shipped: "已发货", delivered: "已签收", cancelled: "已取消" },
      profile: { id: "编号", tier: "会员等级", language: "语言", email: "邮箱", phone: "电话", address: "地址", since: "注册" },
      tier: { regular: "普通", silver: "白银", gold: "黄金", platinum: "铂金" },
      ev: {
        conversation_started: "会话开始", handoff_requested: "请求转人工", operator_joined: function (o) { return o + " 已接管"; },
        handed_back: function (o) { return (o ? o + " " : "") + "已交还机器人"; },
        csat_given: function (n) { return "顾客评分：" + n + " 分"; }, csat_requested: "已邀请顾客评价",
        intent: "意图", affect: "情绪", slot: "槽位", tool: "工具", ok: "成功", failed: "失败",
      },
      csat: function (n) { return "满意度 " + n + "/5"; },
      stats: {
        open: "主管视图", back: "返回会话", title: "主管视图", refresh: "刷新", loading: "加载中…",
        days: function (n) { return "近 " + n + " 天"; },
        window: function (a, b, tz) { return "统计区间：" + a + " 至 " + b + "（" + tz + "）"; },
        handoff: "转人工率", handoffKpi: function (r) { return r === null ? "—" : (r * 100).toFixed(1) + "%"; },
        handoffDetail: function (h) { return "会话 " + h.conversations + " · 转人工 " + h.handed_off + " · 人工接管 " + h.taken_over; },
        seriesConversations: "会话", seriesHandedOff: "转人工",
        csat: "顾客满意度（CSAT）", csatKpi: function (c) { return c.average === null ? "—" : c.average.toFixed(2) + " / 5"; },
        csatDetail: function (c) { return "共 " + c.count + " 个评分"; }, score: function (n) { return n + " 分"; },
        affect: "情绪分布（顾客每条消息）", intents: "热门意图", noData: "该区间内暂无数据",
        campaigns: "各活动的优惠发放与转化", offers: "发放", conversions: "核销",
        conversionRate: function (r) { return r === null ? "—" : "转化率 " + (r * 100).toFixed(1) + "%"; },
        campaignsNote: "尚无会话内优惠推送记录：发放 = 该活动发出的优惠券，转化 = 已在订单中核销的优惠券（活动全期）。",
        inactive: "已结束",
      },
      errors: {
        invalid_credentials: "用户名或密码错误。",
        account_locked: "连续登录失败次数过多，账号已临时锁定（15 分钟），请稍后再试或联系主管重置。",
        not_signed_in: "请先登录。", session_expired: "登录已过期，请重新登录。",
        forbidden_role: "您的角色无权进行此操作。", held_by_other: "该会话已由其他客服接管，只有主管可以强制接管。",
        not_holding: "请先接管会话。", not_held: "该会话已由机器人处理。", invalid_message: "消息为空或过长。",
        unknown_conversation: "会话不存在。", network: "网络异常，请重试。", internal: "系统繁忙，请稍后再试。",
      },
    },
    en: {
      title: "Service console", langToggle: "中文", logout: "Sign out",
      signInTitle: "Sign in to the console", username: "Username", password: "Password", signIn: "Sign in",
      queue: "Handoff queue", live: "Live conversations", queueEmpty: "Nobody is waiting", pickConversation: "Pick a conversation on the left",
      takeover: "Take over", handback: "Hand back to bot", resolve: "Resolve & ask CSAT", send: "Send", addNote: "Add note",
      showDetails: "Show intents, affect and tool events", customerTyping: "Customer is typing…",
      suggestions: "Suggested replies", canned: "Canned responses", notes: "Private notes", customer: "Customer",
      orders: "Orders", pastConversations: "Past conversations", statsTitle: "Supervisor view", statsRefresh: "Refresh",
      composerPlaceholder: "Type a reply. Enter sends, Shift+Enter for a new line",
      notePlaceholder: "Private note (operators only, never sent to the customer)",
      hintTakeover: "Take over the conversation to reply", hintHeldBy: function (o) { return "Held by " + o; },
      hintYou: "You hold this conversation; the bot is silent",
      online: "Connected", offline: "Connection lost, reconnecting…", connecting: "Connecting…",
      guest: "Guest", you: "You", bot: "Bot", operatorWho: function (o) { return "Agent " + o; }, customerWho: "Customer",
      waiting: "waiting", noSuggestions: "No suggestions", noNotes: "No notes yet", noOrders: "No orders", noPast: "No past conversations",
      noCustomer: "Anonymous visitor (not signed in)",
      role: { operator: "Operator", supervisor: "Supervisor", marketer: "Marketer" },
      handoff: { bot: "Bot", queued: "Queued", operator: "Human" },
      channel: { web: "Web", voice: "Voice", api: "API" },
      language: { zh: "Chinese", en: "English" },
      affect: { anger: "Anger", anxiety: "Anxiety", disappointment: "Disappointment", neutral: "Neutral", satisfaction: "Satisfied" },
      intent: { order_status: "Order status", return_request: "Return", policy_question: "Policy", product_search: "Products",
        coupon_question: "Coupons", human: "Wants a human", complaint: "Complaint", greeting: "Greeting", thanks: "Thanks",
        goodbye: "Goodbye", affirm: "Yes", deny: "No", other: "Other" },
      orderStatus: { pending_payment: "Awaiting payment", paid: "Paid", shipped: "Shipped", delivered: "Delivered", cancelled: "Cancelled" },
      profile: { id: "ID", tier: "Tier", language: "Language", email: "Email", phone: "Phone", address: "Address", since: "Since" },
      tier: { regular: "Regular", silver: "Silver", gold: "Gold", platinum: "Platinum" },
      ev: {
        conversation_started: "Conversation started", handoff_requested: "Asked for a human",
        operator_joined: function (o) { return o + " took over"; },
        handed_back: function (o) { return (o ? o + " " : "") + "handed back to the bot"; },
        csat_given: function (n) { return "Customer rated " + n + "/5"; }, csat_requested: "CSAT requested",
        intent: "intent", affect: "affect", slot: "slot", tool: "tool", ok: "ok", failed: "failed",
      },
      csat: function (n) { return "CSAT " + n + "/5"; },
      stats: {
        open: "Supervisor view", back: "Back to conversations", title: "Supervisor view", refresh: "Refresh",
        loading: "Loading…", days: function (n) { return n + " days"; },
        window: function (a, b, tz) { return "Window: " + a + " to " + b + " (" + tz + ")"; },
        handoff: "Handoff rate", handoffKpi: function (r) { return r === null ? "—" : (r * 100).toFixed(1) + "%"; },
        handoffDetail: function (h) { return h.conversations + " conversations · " + h.handed_off + " handed off · " + h.taken_over + " taken over"; },
        seriesConversations: "Conversations", seriesHandedOff: "Handed off",
        csat: "Customer satisfaction (CSAT)", csatKpi: function (c) { return c.average === null ? "—" : c.average.toFixed(2) + " / 5"; },
        csatDetail: function (c) { return c.count + " ratings"; }, score: function (n) { return n + (n === 1 ? " star" : " stars"); },
        affect: "Affect (per customer message)", intents: "Top intents", noData: "No data in this window",
        campaigns: "Offers and conversions per campaign", offers: "Offers", conversions: "Conversions",
        conversionRate: function (r) { return r === null ? "—" : (r * 100).toFixed(1) + "% converted"; },
        campaignsNote: "No in-chat offer is recorded yet: offers = coupons issued under the campaign, conversions = coupons redeemed on an order (whole campaign).",
        inactive: "ended",
      },
      errors: {
        invalid_credentials: "Wrong username or password.",
        account_locked: "Too many failed sign-in attempts: the account is locked for 15 minutes. Try later or ask a supervisor.",
        not_signed_in: "Please sign in.", session_expired: "Your session has expired; please sign in again.",
        forbidden_role: "Your role may not do this.", held_by_other: "Another operator holds this conversation; only a supervisor can take it over.",
        not_holding: "Take over the conversation first.", not_held: "The bot already handles this conversation.",
        invalid_message: "The message is empty or too long.", unknown_conversation: "No such conversation.",
        network: "Network problem, please retry.", internal: "Something went wrong, please try again.",
      },
    },
  };

  // ------------------------------------------------------------------------------------------ state
  var S = {
    lang: pickLanguage(),
    me: null,
    rows: new Map(), // conversation id -> summary row
    offset: 0, // server clock - local clock (ms)
    selected: null,
    detail: null, // {conversation, seqs:Set, lastSeq, customer, orders, past, notes}
    ws: null, wsAttempt: 0, wsTimer: null, signedOut: false,
    typingSent: 0, typingOffTimer: null, customerTypingTimer: null,
    cannedData: null, cannedLang: null, suggestTimer: null,
    view: "conversations", stats: null, statsDays: 30, statsTimer: null, statsSeq: 0,
  };

  var $ = function (id) { return document.getElementById(id); };

  function pickLanguage() {
    var saved = null;
    try { saved = window.localStorage.getItem("kefu.console.lang"); } catch (_) { /* storage disabled */ }
    if (saved === "zh" || saved === "en") return saved;
    return (navigator.language || "").toLowerCase().indexOf("zh") === 0 ? "zh" : "en";
  }

  function t(key) { return STRINGS[S.lang][key]; }
  function label(group, key) { var g = STRINGS[S.lang][group] || {}; return g[key] || key || "—"; }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  function chip(text, cls, attrs) {
    var c = el("span", "chip" + (cls ? " " + cls : ""), text);
    Object.keys(attrs || {}).forEach(function (k) { c.setAttribute(k, attrs[k]); });
    return c;
  }

  function serverNow() { return Date.now() + S.offset; }

  function syncClock(iso) {
    var ms = Date.parse(iso || "");
    if (!isNaN(ms)) S.offset = ms - Date.now();
  }

  function fmtWait(sinceIso) {
    var ms = Date.parse(sinceIso || "");
    if (isNaN(ms)) return "";
    var s = Math.max(0, Math.floor((serverNow() - ms) / 1000));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return h ? h + ":" + pad(m) + ":" + pad(sec) : m + ":" + pad(sec);
  }

  function fmtTime(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return "";
    try {
      return d.toLocaleTimeString(S.lang === "zh" ? "zh-CN" : "en-GB", { hour: "2-digit", minute: "2-digit" });
    } catch (_) { return d.toISOString().slice(11, 16); }
  }

  function fmtDate(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return "";
    try { return d.toLocaleDateString(S.lang === "zh" ? "zh-CN" : "en-GB"); } catch (_) { return d.toISOString().slice(0, 10); }
  }

  // -------------------------------------------------------------------------------------------- api
  function ApiError(status, code, message) { this.status = status; this.code = code; this.message = message; }

  function api(method, path, body) {
    var opts = { method: method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    return fetch(path, opts).then(function (res) {
      return res.text().then(function (raw) {
        var data = null;
        try { data = raw ? JSON.parse(raw) : null; } catch (_) { data = null; }
        if (!res.ok) {
          var e = (data && data.error) || {};
          throw new ApiError(res.status, e.code || "http_" + res.status, e.message || res.statusText);
        }
        return data;
      });
    }, function () { throw new ApiError(0, "network", "network"); });
  }

  function errorText(err) {
    var known = STRINGS[S.lang].errors[err && err.code];
    return known || (err && err.message) || STRINGS[S.lang].errors.internal;
  }

  function toast(text, kind) {
    var node = el("div", "toast", text);
    node.setAttribute("data-testid", "toast");
    if (kind) node.setAttribute("data-kind", kind);
    $("toasts").appendChild(node);
    setTimeout(function () { node.remove(); }, 5000);
  }

  function onApiError(err) {
    if (err && err.status === 401) { showLogin(errorText(err)); return; }
    toast(errorText(err), "error");
  }

  // ------------------------------------------------------------------------------------------- i18n
  function applyLanguage() {
    document.documentElement.lang = S.lang === "zh" ? "zh-CN" : "en";
    document.title = "Kefu · " + t("title");
    document.querySelectorAll("[data-i18n]").forEach(function (node) {
      var v = t(node.getAttribute("data-i18n"));
      if (typeof v === "string") node.textContent = v;
    });
    $("lang-toggle").textContent = t("langToggle");
    $("lang-toggle").setAttribute("data-lang", S.lang);
    $("composer").placeholder = t("composerPlaceholder");
    $("note-input").placeholder = t("notePlaceholder");
    if (S.me) renderMe();
    setConnection($("app").hidden ? null : (S.ws && S.ws.readyState === 1 ? "online" : "offline"));
    renderLists();
    if (S.detail) { renderHeader(); renderTimeline(); renderSide(); }
    renderStatsToggle();
    if (S.stats) renderStats();
  }

  // ------------------------------------------------------------------------------------------ login
  function showLogin(message) {
    S.me = null;
    S.signedOut = true;
    closeSocket();
    $("app").hidden = true;
    $("me").hidden = true;
    $("login").hidden = false;
    S.view = "conversations";
    S.stats = null;
    clearInterval(S.statsTimer);
    $("stats").hidden = true;
    renderStatsToggle();
    setConnection(null);
    var err = document.querySelector('[data-testid="login-error"]');
    err.hidden = !message;
    err.textContent = message || "";
    $("login-username").focus();
  }

  function onLoginSubmit(e) {
    e.preventDefault();
    var err = document.querySelector('[data-testid="login-error"]');
    var username = $("login-username").value.trim();
    var password = $("login-password").value;
    if (!username || !password) {
      err.textContent = errorText({ code: "invalid_credentials" });
      err.hidden = false;
      return;
    }
    var btn = document.querySelector('[data-testid="login-submit"]');
    btn.disabled = true;
    api("POST", "/api/operator/login", { username: username, password: password }).then(function (data) {
      $("login-password").value = "";
      err.hidden = true;
      startApp(data.operator);
    }, function (ex) {
      err.textContent = errorText(ex);
      err.hidden = false;
    }).then(function () { btn.disabled = false; });
  }

  function renderMe() {
    $("me").hidden = false;
    document.querySelector('[data-testid="operator-name"]').textContent = S.me.display_name;
    document.querySelector('[data-testid="operator-role"]').textContent = label("role", S.me.role);
  }

  function startApp(me) {
    S.me = me;
    S.signedOut = false;
    renderMe();
    $("login").hidden = true;
    if (me.role !== "operator" && me.role !== "supervisor") {
      showLogin(errorText({ code: "forbidden_role" }));
      return;
    }
    $("app").hidden = false;
    showView("conversations");
    connect();
    api("GET", "/api/operator/canned").then(function (data) { S.cannedData = data; renderCanned(); }, onApiError);
  }

  function logout() {
    api("POST", "/api/operator/logout").catch(function () { /* signed out anyway */ }).then(function () {
      S.selected = null;
      S.detail = null;
      S.rows.clear();
      showLogin(null);
    });
  }

  // ----------------------------------------------------------------------------------------- socket
  function setConnection(state) {
    var node = document.querySelector('[data-testid="connection"]');
    if (!state) { node.hidden = true; return; }
    node.hidden = false;
    node.setAttribute("data-state", state);
    node.querySelector(".conn-text").textContent = t(state === "online" ? "online" : state === "connecting" ? "connecting" : "offline");
  }

  function closeSocket() {
    clearTimeout(S.wsTimer);
    if (S.ws) { var ws = S.ws; S.ws = null; try { ws.close(); } catch (_) { /* already closed */ } }
  }

  function connect() {
    closeSocket();
    setConnection("connecting");
    var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/operator");
    S.ws = ws;
    ws.onopen = function () {
      if (S.ws !== ws) return;
      S.wsAttempt = 0;
      setConnection("online");
      if (S.selected) wsSend({ type: "open", conversation_id: S.selected, after: S.detail ? S.detail.lastSeq : 0 });
    };
    ws.onmessage = function (ev) {
      if (S.ws !== ws) return;
      var f;
      try { f = JSON.parse(ev.data); } catch (_) { return; }
      if (f && typeof f === "object") onFrame(f);
    };
    ws.onclose = function (ev) {
      if (S.ws !== ws) return;
      S.ws = null;
      if (S.signedOut) return;
      if (ev.code === 4401) { showLogin(errorText({ code: "session_expired" })); return; }
      if (ev.code === 4403) { showLogin(errorText({ code: "forbidden_role" })); return; }
      setConnection("offline");
      var delay = Math.min(15000, 500 * Math.pow(2, S.wsAttempt++));
      S.wsTimer = setTimeout(connect, delay);
    };
  }

  function wsSend(obj) {
    if (!S.ws || S.ws.readyState !== 1) return false;
    S.ws.send(JSON.stringify(obj));
    return true;
  }

  function onFrame(f) {
    switch (f.type) {
      case "hello":
        syncClock(f.now);
        S.rows.clear();
        (f.conversations || []).forEach(function (r) { S.rows.set(r.id, r); });
        renderLists();
        break;
      case "conversation":
        syncClock(f.now);
        S.rows.set(f.conversation.id, f.conversation);
        renderLists();
        if (S.detail && f.conversation.id === S.selected) {
          var before = S.detail.conversation || {};
          S.detail.conversation = f.conversation;
          renderHeader();
          if (before.intent !== f.conversation.intent || (before.affect || {}).label !== (f.conversation.affect || {}).label) {
            scheduleSuggestions();
          }
        }
        break;
      case "events":
        if (S.detail && f.conversation_id === S.selected) {
          (f.events || []).forEach(addEvent);
          scrollTimeline();
        }
        break;
      case "typing":
        if (f.who === "customer") customerTyping(f.conversation_id, !!f.on);
        break;
      case "note":
        if (S.detail && f.conversation_id === S.selected) {
          if (!S.detail.notes.some(function (n) { return n.id === f.note.id; })) S.detail.notes.push(f.note);
          renderNotes();
        }
        break;
      case "csat_requested":
        if (S.detail && f.conversation_id === S.selected) addSystemLine(t("ev").csat_requested, "csat_requested");
        break;
      case "error":
        if (f.code === "session_expired") showLogin(errorText(f));
        else toast(errorText(f), "error");
        break;
      default:
        break;
    }
  }

  // ------------------------------------------------------------------------------------------ lists
  function affectChip(affect) {
    var a = affect || { label: "neutral", score: 0 };
    var score = typeof a.score === "number" ? " " + (a.score > 0 ? "+" : "") + a.score.toFixed(2) : "";
    return chip(label("affect", a.label) + score, "affect", { "data-affect": a.label, "data-testid": "affect-badge" });
  }

  function handoffChip(row) {
    var text = label("handoff", row.handoff) + (row.handoff === "operator" && row.operator ? " · " + row.operator : "");
    return chip(text, "handoff", { "data-handoff": row.handoff, "data-testid": "handoff-status" });
  }

  function customerName(row) {
    return row.customer && row.customer.name ? row.customer.name : t("guest");
  }

  function rowNode(row, testid) {
    var li = el("li");
    var b = el("button", "row");
    b.type = "button";
    b.setAttribute("data-testid", testid);
    b.setAttribute("data-conversation-id", row.id);
    b.setAttribute("data-handoff", row.handoff);
    b.setAttribute("data-affect", (row.affect || {}).label || "neutral");
    if (row.id === S.selected) b.setAttribute("aria-current", "true");
    var top = el("div", "row-top");
    top.appendChild(el("span", "row-name", customerName(row)));
    if (row.waiting_since) {
      var w = el("span", "row-wait", fmtWait(row.waiting_since));
      w.setAttribute("data-waiting-since", row.waiting_since);
      w.setAttribute("data-testid", "waiting-time");
      top.appendChild(w);
    }
    b.appendChild(top);
    var chips = el("div", "row-chips");
    chips.appendChild(chip(label("channel", row.channel), "", { "data-testid": "channel" }));
    if (row.language) chips.appendChild(chip(label("language", row.language), "", { "data-testid": "language" }));
    if (row.intent) chips.appendChild(chip(label("intent", row.intent), "", { "data-testid": "intent" }));
    chips.appendChild(affectChip(row.affect));
    chips.appendChild(handoffChip(row));
    if (row.csat) chips.appendChild(chip(STRINGS[S.lang].csat(row.csat), "", { "data-testid": "csat" }));
    b.appendChild(chips);
    if (row.last_message && row.last_message.text) {
      var who = row.last_message.who === "customer" ? t("customerWho") : row.last_message.who === "bot" ? t("bot")
        : STRINGS[S.lang].operatorWho(row.operator || "");
      b.appendChild(el("div", "row-preview", who + (S.lang === "zh" ? "：" : ": ") + row.last_message.text));
    }
    if (row._typing) b.appendChild(el("div", "row-typing", t("customerTyping")));
    b.addEventListener("click", function () { select(row.id); });
    li.appendChild(b);
    return li;
  }

  function byTime(a, b) { return (b.last_message_at || b.started_at || "").localeCompare(a.last_message_at || a.started_at || ""); }

  function waitSeconds(r) {
    var ms = Date.parse(r.waiting_since || "");
    return isNaN(ms) ? 0 : serverNow() - ms;
  }

  function renderLists() {
    if (!S.me) return;
    var rows = Array.from(S.rows.values());
    var queue = rows.filter(function (r) { return r.handoff === "queued"; }).sort(function (a, b) {
      return (b.anger || 0) - (a.anger || 0) || waitSeconds(b) - waitSeconds(a);
    });
    var rank = { operator: 0, queued: 1, bot: 2 };
    var live = rows.slice().sort(function (a, b) { return (rank[a.handoff] - rank[b.handoff]) || byTime(a, b); });
    var q = $("queue-list"), l = $("conversation-list");
    clear(q);
    clear(l);
    queue.forEach(function (r) { q.appendChild(rowNode(r, "queue-row")); });
    live.forEach(function (r) { l.appendChild(rowNode(r, "conversation-row")); });
    $("queue-empty").hidden = queue.length > 0;
    document.querySelector('[data-testid="queue-count"]').textContent = String(queue.length);
    document.querySelector('[data-testid="live-count"]').textContent = String(live.length);
  }

  function tick() {
    document.querySelectorAll("[data-waiting-since]").forEach(function (node) {
      var since = node.getAttribute("data-waiting-since");
      node.textContent = (node.getAttribute("data-prefix") || "") + fmtWait(since);
      node.setAttribute("data-long", String(serverNow() - Date.parse(since) > 120000));
    });
  }

  // ----------------------------------------------------------------------------------- conversation
  function select(id) {
    if (S.selected && S.selected !== id) wsSend({ type: "close", conversation_id: S.selected });
    S.selected = id;
    S.detail = null;
    renderLists();
    $("conv-empty").hidden = true;
    $("conv-body").hidden = false;
    $("side").hidden = false;
    clear($("timeline"));
    clear($("suggestions"));
    $("customer-typing").hidden = true;
    api("GET", "/api/operator/conversations/" + encodeURIComponent(id)).then(function (d) {
      if (S.selected !== id) return;
      syncClock(d.now);
      S.detail = { conversation: d.conversation, seqs: new Set(), lastSeq: 0, events: [], customer: d.customer,
        orders: d.orders || [], past: d.past_conversations || [], notes: d.notes || [] };
      if (d.conversation) S.rows.set(id, d.conversation);
      (d.events || []).forEach(function (e) { if (!S.detail.seqs.has(e.seq)) { S.detail.seqs.add(e.seq); S.detail.events.push(e); } });
      S.detail.lastSeq = S.detail.events.reduce(function (m, e) { return Math.max(m, e.seq); }, 0);
      renderLists();
      renderHeader();
      renderTimeline();
      renderSide();
      wsSend({ type: "open", conversation_id: id, after: S.detail.lastSeq });
      loadSuggestions();
    }, onApiError);
  }

  function holdsIt(c) { return c && c.handoff === "operator" && S.me && c.operator === S.me.username; }

  function renderHeader() {
    var c = S.detail && S.detail.conversation;
    if (!c) return;
    var title = customerName(c) + (c.customer_id ? " · " + c.customer_id : "");
    $("conv-customer").textContent = title;
    var chips = $("conv-chips");
    clear(chips);
    chips.appendChild(chip(label("channel", c.channel)));
    if (c.language) chips.appendChild(chip(label("language", c.language)));
    if (c.intent) chips.appendChild(chip(label("intent", c.intent), "", { "data-testid": "conv-intent" }));
    chips.appendChild(affectChip(c.affect));
    chips.appendChild(handoffChip(c));
    if (c.waiting_since) {
      var w = chip(t("waiting") + " " + fmtWait(c.waiting_since), "", { "data-waiting-since": c.waiting_since,
        "data-prefix": t("waiting") + " ", "data-testid": "conv-waiting" });
      chips.appendChild(w);
    }
    if (c.csat) chips.appendChild(chip(STRINGS[S.lang].csat(c.csat), "", { "data-testid": "conv-csat" }));
    var mine = holdsIt(c);
    var supervisor = S.me.role === "supervisor";
    var heldByOther = c.handoff === "operator" && !mine;
    $("btn-takeover").disabled = mine || (heldByOther && !supervisor);
    $("btn-handback").disabled = c.handoff === "bot" || (heldByOther && !supervisor);
    $("btn-resolve").disabled = heldByOther && !supervisor;
    $("composer").disabled = !mine;
    $("btn-send").disabled = !mine;
    $("composer-hint").textContent = mine ? t("hintYou") : heldByOther ? STRINGS[S.lang].hintHeldBy(c.operator) : t("hintTakeover");
    $("conv").setAttribute("data-held-by-me", String(mine));
  }

  function eventNode(e) {
    var p = e.payload || {};
    var ev = STRINGS[S.lang].ev;
    var role, who = null, text;
    switch (e.type) {
      case "user_uttered": role = "customer"; who = t("customerWho"); text = p.text; break;
      case "bot_uttered": role = "bot"; who = t("bot"); text = p.text; break;
      case "operator_uttered": role = "operator"; who = STRINGS[S.lang].operatorWho(p.operator || ""); text = p.text; break;
      case "conversation_started": role = "system"; text = ev.conversation_started; break;
      case "handoff_requested": role = "system"; text = ev.handoff_requested; break;
      case "operator_joined": role = "system"; text = ev.operator_joined(p.operator || ""); break;
      case "handed_back": role = "system"; text = ev.handed_back(p.operator || ""); break;
      case "csat_given": role = "system"; text = ev.csat_given(p.score); break;
      case "intent_recognized":
        role = "meta"; text = ev.intent + ": " + label("intent", p.intent) + " (" + Number(p.confidence || 0).toFixed(2) + ")"; break;
      case "affect_observed":
        role = "meta"; text = ev.affect + ": " + label("affect", p.label) + " " + Number(p.score || 0).toFixed(2); break;
      case "slot_set": role = "meta"; text = ev.slot + ": " + p.name + " = " + JSON.stringify(p.value); break;
      case "tool_called": role = "meta"; text = ev.tool + ": " + p.tool + " " + JSON.stringify(p.args || {}); break;
      case "tool_returned": role = "meta"; text = ev.tool + ": " + p.tool + " → " + (p.ok ? ev.ok : ev.failed + " " + (p.error_code || "")); break;
      default: role = "meta"; text = e.type; break;
    }
    var li = el("li", "tl");
    li.setAttribute("data-role", role);
    li.setAttribute("data-type", e.type);
    li.setAttribute("data-seq", String(e.seq));
    li.setAttribute("data-testid", "timeline-item");
    if (who) li.appendChild(el("div", "tl-who", who + " · " + fmtTime(e.at)));
    var bubble = el("div", "tl-bubble", text == null ? "" : text); // textContent: customer text stays inert
    bubble.setAttribute("data-testid", "timeline-text");
    li.appendChild(bubble);
    return li;
  }

  function addSystemLine(text, type) {
    var li = el("li", "tl");
    li.setAttribute("data-role", "system");
    li.setAttribute("data-type", type);
    li.setAttribute("data-testid", "timeline-item");
    li.appendChild(el("div", "tl-bubble", text));
    $("timeline").appendChild(li);
    scrollTimeline();
  }

  function renderTimeline() {
    var tl = $("timeline");
    clear(tl);
    S.detail.events.slice().sort(function (a, b) { return a.seq - b.seq; }).forEach(function (e) { tl.appendChild(eventNode(e)); });
    tl.setAttribute("data-details", String($("show-details").checked));
    scrollTimeline();
  }

  function addEvent(e) {
    if (!S.detail || S.detail.seqs.has(e.seq)) return;
    S.detail.seqs.add(e.seq);
    S.detail.events.push(e);
    S.detail.lastSeq = Math.max(S.detail.lastSeq, e.seq);
    var tl = $("timeline");
    var node = eventNode(e);
    var after = null;
    tl.querySelectorAll("[data-seq]").forEach(function (n) { if (Number(n.getAttribute("data-seq")) > e.seq && !after) after = n; });
    if (after) tl.insertBefore(node, after); else tl.appendChild(node);
    if (e.type === "user_uttered") customerTyping(S.selected, false);
  }

  function scrollTimeline() {
    var tl = $("timeline");
    tl.scrollTop = tl.scrollHeight;
  }

  function customerTyping(id, on) {
    var row = S.rows.get(id);
    if (row && !!row._typing !== on) { row._typing = on; renderLists(); }
    if (id !== S.selected) return;
    clearTimeout(S.customerTypingTimer);
    var tl = $("timeline");
    var atBottom = tl.scrollHeight - tl.scrollTop - tl.clientHeight < 40;
    $("customer-typing").hidden = !on;
    if (atBottom) scrollTimeline(); // the indicator takes room from the timeline: keep the newest message in view
    if (on) {
      S.customerTypingTimer = setTimeout(function () { customerTyping(id, false); }, 6000);
    }
  }

  // ------------------------------------------------------------------------------------------- side
  function renderSide() {
    renderProfile();
    renderOrders();
    renderPast();
    renderNotes();
    renderCanned();
  }

  function renderProfile() {
    var dl = $("profile");
    clear(dl);
    var c = S.detail.customer;
    if (!c) { dl.appendChild(el("dd", "muted", t("noCustomer"))); return; }
    var P = STRINGS[S.lang].profile;
    [["id", c.id], ["tier", label("tier", c.tier)], ["language", label("language", c.language)], ["email", c.email],
      ["phone", c.phone], ["address", c.address], ["since", fmtDate(c.since)]].forEach(function (pair) {
      dl.appendChild(el("dt", null, P[pair[0]]));
      var dd = el("dd", null, pair[1]);
      dd.setAttribute("data-field", pair[0]);
      dl.appendChild(dd);
    });
  }

  function renderOrders() {
    var ol = $("orders");
    clear(ol);
    if (!S.detail.orders.length) { ol.appendChild(el("li", "muted", t("noOrders"))); return; }
    S.detail.orders.forEach(function (o) {
      var li = el("li");
      li.setAttribute("data-order-id", o.order_id);
      var head = el("div", "order-head");
      head.appendChild(el("span", null, o.order_id));
      head.appendChild(el("span", null, label("orderStatus", o.status)));
      li.appendChild(head);
      var items = o.items.map(function (i) { return (S.lang === "zh" ? i.name_zh : i.name_en) + " ×" + i.quantity; }).join("，");
      li.appendChild(el("div", null, items));
      var line = fmtDate(o.placed_at) + " · " + (o.currency === "CNY" ? "¥" : o.currency + " ") + o.total;
      if (o.shipment) line += " · " + o.shipment.carrier + " " + o.shipment.tracking_no;
      li.appendChild(el("div", "muted", line));
      ol.appendChild(li);
    });
  }

  function renderPast() {
    var ol = $("past");
    clear(ol);
    if (!S.detail.past.length) { ol.appendChild(el("li", "muted", t("noPast"))); return; }
    S.detail.past.forEach(function (r) {
      var li = el("li");
      var b = el("button", null, fmtDate(r.started_at) + " " + fmtTime(r.started_at) + " · " + label("intent", r.intent) +
        (r.csat ? " · " + STRINGS[S.lang].csat(r.csat) : ""));
      b.type = "button";
      b.setAttribute("data-conversation-id", r.id);
      b.addEventListener("click", function () { select(r.id); });
      li.appendChild(b);
      ol.appendChild(li);
    });
  }

  function renderNotes() {
    var ol = $("notes");
    clear(ol);
    if (!S.detail || !S.detail.notes.length) { ol.appendChild(el("li", "muted", t("noNotes"))); return; }
    S.detail.notes.forEach(function (n) {
      var li = el("li");
      li.setAttribute("data-testid", "note");
      li.appendChild(el("div", "note-meta", n.display_name + " · " + fmtTime(n.at)));
      li.appendChild(el("div", "note-text", n.text));
      ol.appendChild(li);
    });
  }

  function fillComposer(text) {
    var box = $("composer");
    if (box.disabled) { toast(t("hintTakeover")); }
    box.value = text;
    box.focus();
  }

  function renderCanned() {
    var ol = $("canned");
    clear(ol);
    if (!S.cannedData) return;
    var lang = S.cannedLang || (S.detail && S.detail.conversation && S.detail.conversation.language) || S.lang;
    document.querySelectorAll("[data-canned-lang]").forEach(function (b) {
      b.setAttribute("aria-selected", String(b.getAttribute("data-canned-lang") === lang));
    });
    (S.cannedData[lang] || []).forEach(function (c) {
      var li = el("li");
      var b = el("button", "canned-item");
      b.type = "button";
      b.setAttribute("data-testid", "canned-item");
      b.setAttribute("data-key", c.key);
      b.appendChild(el("b", null, c.title));
      b.appendChild(document.createTextNode(c.text));
      b.addEventListener("click", function () { fillComposer(c.text); });
      li.appendChild(b);
      ol.appendChild(li);
    });
  }

  function scheduleSuggestions() {
    clearTimeout(S.suggestTimer);
    S.suggestTimer = setTimeout(loadSuggestions, 300);
  }

  function loadSuggestions() {
    var id = S.selected;
    if (!id) return;
    api("GET", "/api/operator/conversations/" + encodeURIComponent(id) + "/suggestions").then(function (d) {
      if (S.selected !== id) return;
      var ol = $("suggestions");
      clear(ol);
      if (!d.suggestions.length) ol.appendChild(el("li", "muted", t("noSuggestions")));
      d.suggestions.forEach(function (s) {
        var li = el("li");
        var b = el("button", "suggestion", s.text);
        b.type = "button";
        b.setAttribute("data-testid", "suggestion");
        b.addEventListener("click", function () { fillComposer(s.text); });
        li.appendChild(b);
        ol.appendChild(li);
      });
    }, onApiError);
  }

  // ---------------------------------------------------------------------------------------- actions
  function act(path, body) {
    var id = S.selected;
    if (!id) return Promise.resolve(null);
    return api("POST", "/api/operator/conversations/" + encodeURIComponent(id) + path, body).then(function (d) {
      if (d && d.conversation && d.conversation.id === S.selected && S.detail) {
        S.rows.set(d.conversation.id, d.conversation);
        S.detail.conversation = d.conversation;
        renderHeader();
        renderLists();
      }
      return d;
    }, function (err) { onApiError(err); return null; });
  }

  function sendReply(e) {
    if (e) e.preventDefault();
    var box = $("composer");
    var text = box.value.trim();
    if (!text || box.disabled) return;
    $("btn-send").disabled = true;
    stopTyping();
    act("/messages", { text: text }).then(function (d) {
      if (d && d.event) { box.value = ""; addEvent(d.event); scrollTimeline(); }
      renderHeader();
    });
  }

  function addNote(e) {
    e.preventDefault();
    var box = $("note-input");
    var text = box.value.trim();
    if (!text) return;
    act("/notes", { text: text }).then(function (d) {
      if (d && d.note && S.detail) {
        box.value = "";
        if (!S.detail.notes.some(function (n) { return n.id === d.note.id; })) S.detail.notes.push(d.note);
        renderNotes();
      }
    });
  }

  function onComposerInput() {
    var c = S.detail && S.detail.conversation;
    if (!holdsIt(c)) return;
    var now = Date.now();
    if (now - S.typingSent > 3000) {
      S.typingSent = now;
      wsSend({ type: "typing", conversation_id: S.selected, on: true });
    }
    clearTimeout(S.typingOffTimer);
    S.typingOffTimer = setTimeout(stopTyping, 4000);
  }

  function stopTyping() {
    clearTimeout(S.typingOffTimer);
    if (S.typingSent && S.selected && holdsIt(S.detail && S.detail.conversation)) {
      wsSend({ type: "typing", conversation_id: S.selected, on: false });
    }
    S.typingSent = 0;
  }

  // -------------------------------------------------------------------------------- supervisor view
  // Charts are inline SVG built with createElementNS; every label goes in with textContent.
  var SVGNS = "http://www.w3.org/2000/svg";
  var AFFECT_COLORS = { anger: "#dc2626", anxiety: "#d97706", disappointment: "#7c3aed", neutral: "#64748b",
    satisfaction: "#16a34a" };
  var SERIES = { conversations: "#a5b4fc", handed: "#f97316", offers: "#a5b4fc", conversions: "#16a34a" };

  function svgEl(tag, attrs, text) {
    var node = document.createElementNS(SVGNS, tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function isSupervisor() { return !!(S.me && S.me.role === "supervisor"); }

  function renderStatsToggle() {
    var b = $("stats-toggle");
    b.hidden = !isSupervisor() || ($("app").hidden && S.view !== "stats");
    b.textContent = S.view === "stats" ? t("stats").back : t("stats").open;
    b.setAttribute("aria-pressed", String(S.view === "stats"));
  }

  function showView(view) {
    S.view = view === "stats" && isSupervisor() ? "stats" : "conversations";
    $("app").hidden = S.view === "stats";
    $("stats").hidden = S.view !== "stats";
    clearInterval(S.statsTimer);
    if (S.view === "stats") {
      loadStats();
      S.statsTimer = setInterval(loadStats, 60000);
    }
    renderStatsToggle();
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

  /** Columns: groups [{key, label, values: [n, …]}] with one colour per series; every `every`-th label shown. */
  function columnChart(groups, colors, testid, every) {
    var W = 420, H = 150, left = 28, bottom = 20, topPad = 8;
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

  // ------------------------------------------------------------------------------------------- boot
  function boot() {
    $("login-form").addEventListener("submit", onLoginSubmit);
    $("logout").addEventListener("click", logout);
    $("lang-toggle").addEventListener("click", function () {
      S.lang = S.lang === "zh" ? "en" : "zh";
      try { window.localStorage.setItem("kefu.console.lang", S.lang); } catch (_) { /* storage disabled */ }
      applyLanguage();
    });
    $("btn-takeover").addEventListener("click", function () { act("/takeover").then(loadSuggestions); });
    $("btn-handback").addEventListener("click", function () { stopTyping(); act("/handback"); });
    $("btn-resolve").addEventListener("click", function () { stopTyping(); act("/resolve"); });
    $("composer-form").addEventListener("submit", sendReply);
    $("composer").addEventListener("input", onComposerInput);
    $("composer").addEventListener("blur", stopTyping);
    $("composer").addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) sendReply(e);
    });
    $("note-form").addEventListener("submit", addNote);
    $("show-details").addEventListener("change", function () {
      $("timeline").setAttribute("data-details", String(this.checked));
    });
    document.querySelectorAll("[data-canned-lang]").forEach(function (b) {
      b.addEventListener("click", function () { S.cannedLang = b.getAttribute("data-canned-lang"); renderCanned(); });
    });
    $("stats-toggle").addEventListener("click", function () {
      showView(S.view === "stats" ? "conversations" : "stats");
    });
    $("stats-refresh").addEventListener("click", loadStats);
    document.querySelectorAll("[data-stats-days]").forEach(function (b) {
      b.addEventListener("click", function () {
        S.statsDays = Number(b.getAttribute("data-stats-days"));
        loadStats();
        if (S.stats) renderStats();
      });
    });
    setInterval(tick, 1000);
    applyLanguage();
    api("GET", "/api/operator/me").then(function (d) { startApp(d.operator); }, function () { showLogin(null); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})();
