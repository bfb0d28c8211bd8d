/*
 * Kefu (客服) embeddable chat widget — vanilla JS (ES2019), no dependencies, no build step.
 *
 * Embed with a script tag (the launcher appears; the panel opens on click):
 *   <script src="https://shop.example/widget.js" data-kefu-server=""
 *           data-customer-id="C00001" data-language="zh"></script>
 * or drive it from the page:
 *   window.Kefu.open({customerId: "C00001", language: "en", server: "https://shop.example"})
 *
 * Other attributes: data-launcher="false" (no launcher button), data-open="true" (open at load).
 * API: Kefu.init(opts) / open(opts) -> Promise / close() / send(text) -> Promise / newConversation() /
 *      info(). DOM events on window: "kefu:conversation", "kefu:message", "kefu:open", "kefu:close".
 *
 * Transport: WebSocket /ws/chat/{id}?token=… (resume with the last seen seq after reconnects),
 * REST POST /api/conversations/{id}/messages + GET …/events when the socket cannot open.
 * Safety: every piece of message text is inserted with textContent / createTextNode, never innerHTML.
 */
(function () {
  "use strict";
  if (window.Kefu && window.Kefu.__kefu) return; // loaded twice: keep the first instance

  var MAX_LEN = 2000;
  var SVG_NS = "http://www.w3.org/2000/svg";
  var script = document.currentScript;

  // ---------------------------------------------------------------------------------------------
  // UI strings (bot/operator text is shown exactly as the server sends it)
  // ---------------------------------------------------------------------------------------------
  var STRINGS = {
    zh: {
      title: "在线客服",
      statusConnecting: "正在连接…",
      statusOnline: "智能助手 · 在线",
      statusOperator: "人工客服 · 在线",
      statusQueued: "正在排队等待人工客服",
      statusRest: "在线（兼容模式）",
      statusOffline: "连接已断开，正在重连…",
      launcherOpen: "打开在线客服",
      launcherClose: "关闭在线客服",
      close: "关闭",
      restart: "开始新会话",
      inputLabel: "输入消息",
      placeholder: "请输入您的问题，Enter 发送，Shift+Enter 换行",
      send: "发送",
      tooLong: function (n) { return "消息过长：" + n + "/" + MAX_LEN + " 字，请删减后再发送"; },
      counter: function (n) { return n + "/" + MAX_LEN; },
      empty: "您好！我是智能客服，可以帮您查询订单物流、解答退换货政策、推荐商品。请问有什么可以帮您？",
      you: "我",
      bot: "智能客服",
      operator: "人工客服",
      source: "来源：",
      inStock: "有货",
      outOfStock: "缺货",
      order: "订单",
      placedAt: "下单时间：",
      items: function (n) { return "共 " + n + " 件"; },
      coupon: "优惠券",
      code: "券码：",
      validUntil: "有效期至：",
      minSpend: function (v) { return "满" + v + "可用"; },
      handoffQueued: "正在为您转接人工客服…",
      handoffOperator: function (name) { return "人工客服" + (name ? " " + name + " " : "") + "已接入，为您服务"; },
      handoffBot: function (name) { return "人工客服" + (name ? " " + name + " " : "") + "已离开，智能助手将继续为您服务"; },
      csatQuestion: "请为本次服务打分",
      csatScore: function (n) { return n + " 分"; },
      csatLow: "不满意",
      csatHigh: "非常满意",
      csatThanks: function (n) { return "感谢您的评价（" + n + " 分）！"; },
      sending: "发送中",
      failed: "发送失败",
      retry: "重试",
      errorPrefix: "出错了：",
      startFailed: "暂时无法连接客服，请稍后重试。",
      expired: "会话已失效，请开始新会话。",
      errors: {
        invalid_message: "消息无法发送：内容为空或超过 " + MAX_LEN + " 字。",
        too_large: "消息过长，请删减后再发送。",
        rate_limited: "发送太频繁，请稍后再试。",
        missing_token: "会话已失效，请开始新会话。",
        invalid_token: "会话已失效，请开始新会话。",
        unknown_conversation: "会话不存在，请开始新会话。",
        unknown_customer: "未找到该顾客，无法开始会话。",
        internal: "系统繁忙，请稍后再试。",
        network: "网络异常，请检查网络后重试。",
      },
    },
    en: {
      title: "Customer service",
      statusConnecting: "Connecting…",
      statusOnline: "Assistant · online",
      statusOperator: "Agent · online",
      statusQueued: "Waiting for an agent",
      statusRest: "Online (compatibility mode)",
      statusOffline: "Connection lost, reconnecting…",
      launcherOpen: "Open customer service chat",
      launcherClose: "Close customer service chat",
      close: "Close",
      restart: "Start a new conversation",
      inputLabel: "Type a message",
      placeholder: "Ask us anything. Enter to send, Shift+Enter for a new line",
      send: "Send",
      tooLong: function (n) { return "Message too long: " + n + "/" + MAX_LEN + " characters. Please shorten it."; },
      counter: function (n) { return n + "/" + MAX_LEN; },
      empty: "Hi! I can track your orders, explain returns and other store policies, and help you find products. How can I help?",
      you: "You",
      bot: "Assistant",
      operator: "Agent",
      source: "Source: ",
      inStock: "In stock",
      outOfStock: "Out of stock",
      order: "Order",
      placedAt: "Placed: ",
      items: function (n) { return n + (n === 1 ? " item" : " items"); },
      coupon: "Coupon",
      code: "Code: ",
      validUntil: "Valid until: ",
      minSpend: function (v) { return "Min. spend " + v; },
      handoffQueued: "Connecting you to a person…",
      handoffOperator: function (name) { return (name || "An agent") + " has joined the chat"; },
      handoffBot: function (name) { return (name || "The agent") + " has left the chat. The assistant will continue to help you."; },
      csatQuestion: "How would you rate this conversation?",
      csatScore: function (n) { return n + (n === 1 ? " star" : " stars"); },
      csatLow: "Poor",
      csatHigh: "Excellent",
      csatThanks: function (n) { return "Thanks for your feedback (" + n + "/5)!"; },
      sending: "Sending",
      failed: "Not sent",
      retry: "Retry",
      errorPrefix: "Error: ",
      startFailed: "We couldn't reach customer service. Please try again in a moment.",
      expired: "This conversation has expired. Please start a new one.",
      errors: {
        invalid_message: "The message could not be sent: it is empty or longer than " + MAX_LEN + " characters.",
        too_large: "The message is too long. Please shorten it.",
        rate_limited: "You're sending messages too quickly. Please wait a moment.",
        missing_token: "This conversation has expired. Please start a new one.",
        invalid_token: "This conversation has expired. Please start a new one.",
        unknown_conversation: "Conversation not found. Please start a new one.",
        unknown_customer: "Customer not found, so the chat could not start.",
        internal: "Something went wrong on our side. Please try again.",
        network: "Network problem. Please check your connection and try again.",
      },
    },
  };

  var ORDER_STATUS = {
    zh: { pending_payment: "待付款", paid: "待发货", shipped: "已发货", delivered: "已签收", cancelled: "已取消" },
    en: { pending_payment: "Awaiting payment", paid: "Paid", shipped: "Shipped", delivered: "Delivered", cancelled: "Cancelled" },
  };
  var SHIPMENT_STATUS = {
    zh: { label_created: "待揽收", picked_up: "已揽收", in_transit: "运输中", out_for_delivery: "派送中",
      delivered: "已签收", exception: "物流异常", returned: "已退回" },
    en: { label_created: "Awaiting pickup", picked_up: "Picked up", in_transit: "In transit",
      out_for_delivery: "Out for delivery", delivered: "Delivered", exception: "Delivery exception", returned: "Returned" },
  };

  var CURRENCY = { CNY: "¥", RMB: "¥", USD: "$", EUR: "€", GBP: "£", HKD: "HK$", JPY: "¥" };

  // ---------------------------------------------------------------------------------------------
  // Small helpers
  // ---------------------------------------------------------------------------------------------
  function resolveLanguage(lang) {
    if (lang === "zh" || lang === "en") return lang;
    var nav = (navigator.language || "").toLowerCase();
    return nav.indexOf("zh") === 0 ? "zh" : "en";
  }

  function noop() { /* errors are already shown in the panel */ }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function svgIcon(paths, size) {
    var svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", String(size || 20));
    svg.setAttribute("height", String(size || 20));
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    paths.forEach(function (d) {
      var p = document.createElementNS(SVG_NS, "path");
      p.setAttribute("d", d);
      svg.appendChild(p);
    });
    return svg;
  }

  var ICONS = {
    chat: ["M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z"],
    close: ["M6 6l12 12M18 6L6 18"],
    restart: ["M4 12a8 8 0 1 0 2.3-5.6M4 4v4h4"],
    send: ["M3 11.5L21 3l-8.5 18-2.2-7.3z"],
    box: ["M21 8l-9-5-9 5 9 5 9-5z", "M3 8v8l9 5 9-5V8", "M12 13v8"],
  };

  function uuid() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
    var bytes = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function charCount(text) {
    return Array.from(text).length; // code points, like the server's len()
  }

  function normalizeServer(server) {
    if (server) return String(server).replace(/\/+$/, "");
    if (script && script.src) {
      try { return new URL(script.src, location.href).origin; } catch (_) { /* fall through */ }
    }
    return location.origin;
  }

  function formatPrice(price, currency) {
    if (price === undefined || price === null || price === "") return "";
    var sym = CURRENCY[String(currency || "").toUpperCase()];
    if (sym) return sym + price;
    return currency ? price + " " + currency : String(price);
  }

  function formatDate(value, lang) {
    if (!value) return "";
    var d = new Date(value);
    if (isNaN(d.getTime())) return String(value);
    try {
      return d.toLocaleDateString(lang === "zh" ? "zh-CN" : "en-US", { year: "numeric", month: "short", day: "numeric" });
    } catch (_) {
      return d.toISOString().slice(0, 10);
    }
  }

  function isSeq(seq) {
    return typeof seq === "number" ? isFinite(seq) : typeof seq === "string" && /^\d+$/.test(seq);
  }

  function emit(name, detail) {
    try { window.dispatchEvent(new CustomEvent(name, { detail: detail })); } catch (_) { /* old browsers */ }
  }

  function storageGet(key) {
    try { return JSON.parse(window.sessionStorage.getItem(key) || "null"); } catch (_) { return null; }
  }

  function storageSet(key, value) {
    try {
      if (value === null) window.sessionStorage.removeItem(key);
      else window.sessionStorage.setItem(key, JSON.stringify(value));
    } catch (_) { /* storage disabled: conversations just don't survive reloads */ }
  }

  function ApiError(status, code, message) {
    this.status = status;
    this.code = code;
    this.message = message;
  }

  /** fetch JSON; HTTP errors arrive as {"error": {"code", "message"}} and become ApiError. */
  function api(server, method, path, body, token) {
    var headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (token) headers.Authorization = "Bearer " + token;
    return fetch(server + path, {
      method: method,
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
    }).then(
      function (res) {
        return res.text().then(function (raw) {
          var data = null;
          try { data = raw ? JSON.parse(raw) : null; } catch (_) { data = null; }
          if (!res.ok) {
            var err = (data && data.error) || {};
            throw new ApiError(res.status, err.code || "http_" + res.status, err.message || res.statusText);
          }
          return data;
        });
      },
      function (e) { throw new ApiError(0, "network", String(e && e.message ? e.message : e)); }
    );
  }

  /** Stored conversation events (GET /events, history) -> the equivalent WebSocket frame. */
  function eventToFrame(evt) {
    var p = evt.payload || {};
    switch (evt.type) {
      case "user_uttered":
        return { type: "user_message", seq: evt.seq, text: p.text, client_msg_id: p.client_msg_id };
      case "bot_uttered":
        return { type: "bot_message", seq: evt.seq, text: p.text, source: p.source, citations: p.citations,
          cards: p.cards, quick_replies: p.quick_replies };
      case "operator_uttered":
        return { type: "operator_message", seq: evt.seq, text: p.text, operator: p.operator };
      case "handoff_requested":
        return { type: "handoff", seq: evt.seq, status: "queued" };
      case "operator_joined":
        return { type: "handoff", seq: evt.seq, status: "operator", operator: p.operator };
      case "handed_back":
        return { type: "handoff", seq: evt.seq, status: "bot", operator: p.operator };
      default:
        return { type: "_seen", seq: evt.seq }; // not shown, but its seq counts for resume
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Styles (scoped under .kefu-root; injected once so one <script> tag is all a host page needs)
  // ---------------------------------------------------------------------------------------------
  var CSS = [
    ".kefu-root{--kefu-accent:#4f46e5;--kefu-accent-dark:#4338ca;--kefu-accent-soft:#eef2ff;--kefu-text:#1f2937;",
    "--kefu-muted:#6b7280;--kefu-border:#e5e7eb;--kefu-bg:#f8fafc;--kefu-op:#b45309;--kefu-op-soft:#fff7ed;",
    "font-family:system-ui,-apple-system,'Segoe UI',Roboto,'PingFang SC','Hiragino Sans GB','Microsoft YaHei',",
    "'WenQuanYi Zen Hei','Noto Sans CJK SC',sans-serif;font-size:14px;line-height:1.5;color:var(--kefu-text);}",
    ".kefu-root *,.kefu-root *::before,.kefu-root *::after{box-sizing:border-box;}",
    ".kefu-sr{position:absolute!important;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0;}",
    ".kefu-root button{font:inherit;color:inherit;cursor:pointer;}",
    ".kefu-root svg{fill:none;stroke:currentColor;stroke-width:2;stroke-linecap:round;stroke-linejoin:round;}",
    // launcher
    ".kefu-launcher{position:fixed;right:24px;bottom:24px;width:60px;height:60px;border-radius:50%;border:0;",
    "background:var(--kefu-accent);color:#fff!important;box-shadow:0 10px 25px rgba(79,70,229,.35);z-index:2147483000;",
    "display:flex;align-items:center;justify-content:center;transition:transform .15s ease,background .15s;}",
    ".kefu-launcher:hover{background:var(--kefu-accent-dark);transform:translateY(-2px);}",
    ".kefu-launcher:focus-visible{outline:3px solid #a5b4fc;outline-offset:3px;}",
    ".kefu-badge-unread{position:absolute;top:-2px;right:-2px;min-width:20px;height:20px;padding:0 6px;border-radius:10px;",
    "background:#ef4444;color:#fff;font-size:12px;font-weight:600;line-height:20px;text-align:center;}",
    // panel
    ".kefu-panel{position:fixed;right:24px;bottom:96px;width:384px;height:min(640px,calc(100vh - 120px));",
    "background:#fff;border-radius:18px;box-shadow:0 24px 60px rgba(15,23,42,.22),0 0 0 1px rgba(15,23,42,.06);",
    "display:flex;flex-direction:column;overflow:hidden;z-index:2147483001;}",
    ".kefu-panel[hidden]{display:none;}",
    "@media (max-width:480px){.kefu-panel{right:0;bottom:0;width:100vw;height:100vh;border-radius:0;}}",
    ".kefu-header{display:flex;align-items:center;gap:12px;padding:14px 12px 14px 16px;",
    "background:linear-gradient(135deg,#4f46e5,#7c3aed);color:#fff;}",
    ".kefu-avatar{width:38px;height:38px;border-radius:50%;background:rgba(255,255,255,.2);display:flex;",
    "align-items:center;justify-content:center;font-weight:700;font-size:16px;flex:none;}",
    ".kefu-head-text{flex:1;min-width:0;}",
    ".kefu-head-title{font-weight:650;font-size:15px;}",
    ".kefu-head-status{font-size:12px;opacity:.9;display:flex;align-items:center;gap:6px;}",
    ".kefu-dot{width:8px;height:8px;border-radius:50%;background:#fbbf24;flex:none;}",
    ".kefu-dot[data-conn=online]{background:#34d399;}.kefu-dot[data-conn=offline]{background:#f87171;}",
    ".kefu-icon-btn{width:34px;height:34px;border-radius:10px;border:0;background:transparent;color:#fff!important;",
    "display:flex;align-items:center;justify-content:center;}",
    ".kefu-icon-btn:hover{background:rgba(255,255,255,.18);}",
    ".kefu-icon-btn:focus-visible{outline:2px solid #fff;}",
    // handoff banner
    ".kefu-handoff{padding:8px 16px;font-size:13px;background:var(--kefu-op-soft);color:var(--kefu-op);",
    "border-bottom:1px solid #fed7aa;display:flex;align-items:center;gap:8px;}",
    ".kefu-handoff[hidden]{display:none;}",
    ".kefu-handoff[data-status=queued]::before{content:'';width:12px;height:12px;border-radius:50%;",
    "border:2px solid currentColor;border-right-color:transparent;animation:kefu-spin .9s linear infinite;flex:none;}",
    "@keyframes kefu-spin{to{transform:rotate(360deg);}}",
    // messages
    ".kefu-scroll{flex:1;overflow-y:auto;background:var(--kefu-bg);padding:16px 14px 8px;scroll-behavior:smooth;}",
    ".kefu-messages{display:flex;flex-direction:column;gap:10px;}",
    ".kefu-empty{margin:8px 4px 4px;padding:14px;border-radius:14px;background:#fff;border:1px dashed #c7d2fe;",
    "color:var(--kefu-muted);font-size:13px;}",
    ".kefu-msg{display:flex;flex-direction:column;max-width:86%;align-items:flex-start;}",
    ".kefu-msg[data-role=user]{align-self:flex-end;align-items:flex-end;}",
    ".kefu-msg[data-role=system]{align-self:center;max-width:92%;align-items:center;}",
    ".kefu-sender{font-size:11px;color:var(--kefu-muted);margin:0 4px 3px;}",
    ".kefu-msg[data-role=operator] .kefu-sender{color:var(--kefu-op);font-weight:600;}",
    ".kefu-bubble{padding:9px 13px;border-radius:16px;white-space:pre-wrap;word-wrap:break-word;overflow-wrap:anywhere;}",
    ".kefu-msg[data-role=bot] .kefu-bubble{background:#fff;border:1px solid var(--kefu-border);border-top-left-radius:6px;}",
    ".kefu-msg[data-role=user] .kefu-bubble{background:var(--kefu-accent);color:#fff;border-top-right-radius:6px;}",
    ".kefu-msg[data-role=operator] .kefu-bubble{background:var(--kefu-op-soft);border:1px solid #fdba74;",
    "border-left:4px solid #f97316;border-top-left-radius:6px;}",
    ".kefu-msg[data-role=system] .kefu-bubble{background:#e0e7ff;color:#3730a3;font-size:12px;padding:5px 12px;",
    "border-radius:999px;text-align:center;}",
    ".kefu-msg[data-kind=handoff] .kefu-bubble{background:#ffedd5;color:#9a3412;}",
    ".kefu-msg[data-kind=error] .kefu-bubble{background:#fee2e2;color:#991b1b;}",
    ".kefu-msg[data-pending=true] .kefu-bubble{opacity:.75;}",
    ".kefu-msg-state{font-size:11px;color:var(--kefu-muted);margin:2px 4px 0;}",
    ".kefu-msg[data-failed=true] .kefu-msg-state{color:#dc2626;}",
    ".kefu-link-btn{border:0;background:none;padding:0 0 0 6px;color:var(--kefu-accent)!important;text-decoration:underline;font-size:11px;}",
    ".kefu-citations{margin:5px 4px 0;display:flex;flex-direction:column;gap:2px;}",
    ".kefu-citation{font-size:12px;color:var(--kefu-muted);}",
    ".kefu-citation{padding-left:8px;border-left:2px solid #c7d2fe;}",
    // cards
    ".kefu-cards{display:flex;flex-direction:column;gap:8px;margin-top:8px;width:100%;min-width:250px;}",
    ".kefu-card{display:flex;gap:10px;padding:10px;background:#fff;border:1px solid var(--kefu-border);",
    "border-radius:12px;box-shadow:0 1px 2px rgba(15,23,42,.05);}",
    ".kefu-card-thumb{width:44px;height:44px;border-radius:10px;flex:none;display:flex;align-items:center;",
    "justify-content:center;font-weight:700;font-size:18px;color:#fff;}",
    ".kefu-card-body{min-width:0;flex:1;}",
    ".kefu-card-title{font-weight:600;font-size:13px;line-height:1.35;}",
    ".kefu-card-sub{font-size:12px;color:var(--kefu-muted);margin-top:2px;}",
    ".kefu-card-row{display:flex;align-items:center;gap:8px;margin-top:4px;flex-wrap:wrap;}",
    ".kefu-price{font-weight:700;color:#dc2626;}",
    ".kefu-pill{font-size:11px;padding:1px 8px;border-radius:999px;background:#dcfce7;color:#166534;}",
    ".kefu-pill[data-tone=warn]{background:#fef3c7;color:#92400e;}",
    ".kefu-pill[data-tone=bad]{background:#fee2e2;color:#991b1b;}",
    ".kefu-pill[data-tone=info]{background:#dbeafe;color:#1e40af;}",
    ".kefu-mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;}",
    ".kefu-card-event{font-size:12px;color:#374151;margin-top:4px;padding-left:8px;border-left:2px solid #c7d2fe;}",
    ".kefu-card[data-card-type=coupon]{border-style:dashed;border-color:#f59e0b;background:#fffbeb;}",
    // typing
    ".kefu-typing{display:flex;align-items:center;gap:4px;margin-top:10px;padding:10px 14px;background:#fff;",
    "border:1px solid var(--kefu-border);border-radius:16px;border-top-left-radius:6px;width:max-content;}",
    ".kefu-typing[hidden]{display:none;}",
    ".kefu-typing span{width:6px;height:6px;border-radius:50%;background:#9ca3af;animation:kefu-bounce 1.2s infinite;}",
    ".kefu-typing span:nth-child(2){animation-delay:.15s}.kefu-typing span:nth-child(3){animation-delay:.3s}",
    ".kefu-typing[data-who=operator] span{background:#f97316;}",
    "@keyframes kefu-bounce{0%,60%,100%{transform:translateY(0);opacity:.5}30%{transform:translateY(-4px);opacity:1}}",
    // csat
    ".kefu-msg.kefu-csat{align-self:stretch;max-width:100%;align-items:stretch;background:#fff;border:1px solid var(--kefu-border);border-radius:14px;",
    "padding:12px;text-align:center;}",
    ".kefu-csat-q{font-weight:600;font-size:13px;margin-bottom:8px;}",
    ".kefu-csat-row{display:flex;justify-content:center;gap:6px;}",
    ".kefu-csat-btn{width:38px;height:38px;border-radius:10px;border:1px solid var(--kefu-border);background:#fff;",
    "font-size:15px;font-weight:600;}",
    ".kefu-csat-btn:hover,.kefu-csat-btn:focus-visible{background:var(--kefu-accent-soft);border-color:var(--kefu-accent);}",
    ".kefu-csat-scale{display:flex;justify-content:space-between;font-size:11px;color:var(--kefu-muted);margin:6px auto 0;width:230px;max-width:100%;}",
    // chips + composer
    ".kefu-chips{display:flex;gap:6px;overflow-x:auto;padding:8px 12px 0;background:#fff;scrollbar-width:thin;}",
    ".kefu-chips:empty{display:none;}",
    ".kefu-chip{flex:none;border:1px solid #c7d2fe;background:var(--kefu-accent-soft);color:var(--kefu-accent-dark)!important;",
    "border-radius:999px;padding:5px 12px;font-size:13px;white-space:nowrap;}",
    ".kefu-chip:hover{background:#e0e7ff;}",
    ".kefu-composer{border-top:1px solid var(--kefu-border);background:#fff;padding:10px 12px 12px;}",
    ".kefu-chips:not(:empty)+.kefu-composer{border-top:0;}",
    ".kefu-input-row{display:flex;align-items:flex-end;gap:8px;}",
    ".kefu-input{flex:1;resize:none;border:1px solid #d1d5db;border-radius:14px;padding:9px 12px;font:inherit;",
    "line-height:1.45;max-height:120px;min-height:40px;outline:none;color:var(--kefu-text);background:#fff;}",
    ".kefu-input:focus{border-color:var(--kefu-accent);box-shadow:0 0 0 3px rgba(79,70,229,.15);}",
    ".kefu-input[aria-invalid=true]{border-color:#dc2626;}",
    ".kefu-send{width:40px;height:40px;border-radius:12px;border:0;background:var(--kefu-accent);color:#fff!important;",
    "display:flex;align-items:center;justify-content:center;flex:none;}",
    ".kefu-send:disabled{background:#c7d2fe;cursor:not-allowed;}",
    ".kefu-hint{font-size:11px;color:var(--kefu-muted);margin:4px 4px 0;text-align:right;}",
    ".kefu-hint[hidden]{display:none;}",
    ".kefu-hint[data-over=true]{color:#dc2626;text-align:left;}",
  ].join("");

  function injectStyles() {
    if (document.getElementById("kefu-widget-style")) return;
    var style = document.createElement("style");
    style.id = "kefu-widget-style";
    style.textContent = CSS;
    (document.head || document.documentElement).appendChild(style);
  }

  // ---------------------------------------------------------------------------------------------
  // UI: one launcher + one panel per page. Knows nothing about transports.
  // ---------------------------------------------------------------------------------------------
  function UI(widget) {
    this.widget = widget;
    this.lang = "zh";
    this.t = STRINGS.zh;
    this.streamEl = null; // bot message being streamed via bot_token
    this.typingTimer = null;
    this.unread = 0;
    this.handoff = "bot";
  }

  UI.prototype.mount = function (withLauncher) {
    if (this.root) return;
    injectStyles();
    var self = this;
    var root = (this.root = el("div", "kefu-root"));
    root.setAttribute("data-kefu", "");

    if (withLauncher) {
      var launcher = (this.launcher = el("button", "kefu-launcher"));
      launcher.type = "button";
      launcher.setAttribute("data-testid", "kefu-launcher");
      launcher.setAttribute("aria-controls", "kefu-panel");
      launcher.setAttribute("aria-expanded", "false");
      launcher.appendChild(svgIcon(ICONS.chat, 26));
      this.badge = el("span", "kefu-badge-unread");
      this.badge.hidden = true;
      launcher.appendChild(this.badge);
      launcher.addEventListener("click", function () {
        if (self.isOpen()) self.widget.close();
        else self.widget.open().catch(function () { /* shown in the panel */ });
      });
      root.appendChild(launcher);
    }

    var panel = (this.panel = el("div", "kefu-panel"));
    panel.id = "kefu-panel";
    panel.hidden = true;
    panel.setAttribute("role", "dialog");
    panel.setAttribute("data-testid", "kefu-panel");
    panel.addEventListener("keydown", function (e) {
      if (e.key === "Escape") {
        self.widget.close();
        if (self.launcher) self.launcher.focus();
      }
    });

    // header
    var header = el("div", "kefu-header");
    header.appendChild(el("div", "kefu-avatar", "客"));
    var headText = el("div", "kefu-head-text");
    this.titleEl = el("div", "kefu-head-title");
    this.titleEl.id = "kefu-title";
    panel.setAttribute("aria-labelledby", "kefu-title");
    var status = el("div", "kefu-head-status");
    this.dot = el("span", "kefu-dot");
    this.statusEl = el("span", "kefu-status-text");
    this.statusEl.setAttribute("data-testid", "kefu-status");
    status.appendChild(this.dot);
    status.appendChild(this.statusEl);
    headText.appendChild(this.titleEl);
    headText.appendChild(status);
    header.appendChild(headText);
    this.restartBtn = el("button", "kefu-icon-btn");
    this.restartBtn.type = "button";
    this.restartBtn.setAttribute("data-testid", "kefu-restart");
    this.restartBtn.appendChild(svgIcon(ICONS.restart, 18));
    this.restartBtn.addEventListener("click", function () { self.widget.newConversation(); });
    this.closeBtn = el("button", "kefu-icon-btn");
    this.closeBtn.type = "button";
    this.closeBtn.setAttribute("data-testid", "kefu-close");
    this.closeBtn.appendChild(svgIcon(ICONS.close, 18));
    this.closeBtn.addEventListener("click", function () { self.widget.close(); });
    header.appendChild(this.restartBtn);
    header.appendChild(this.closeBtn);
    panel.appendChild(header);

    // handoff banner (current handoff status; the log keeps the history)
    this.handoffEl = el("div", "kefu-handoff");
    this.handoffEl.hidden = true;
    this.handoffEl.setAttribute("data-testid", "kefu-handoff");
    this.handoffEl.setAttribute("role", "status");
    panel.appendChild(this.handoffEl);

    // message log
    this.scroll = el("div", "kefu-scroll");
    this.messages = el("div", "kefu-messages");
    this.messages.setAttribute("data-testid", "kefu-messages");
    this.messages.setAttribute("role", "log");
    this.messages.setAttribute("aria-live", "polite");
    this.messages.setAttribute("aria-relevant", "additions");
    this.typingEl = el("div", "kefu-typing");
    this.typingEl.hidden = true;
    this.typingEl.setAttribute("data-testid", "kefu-typing");
    this.typingEl.setAttribute("aria-hidden", "true");
    for (var i = 0; i < 3; i++) this.typingEl.appendChild(el("span"));
    this.scroll.appendChild(this.messages);
    this.scroll.appendChild(this.typingEl);
    panel.appendChild(this.scroll);

    // quick replies + composer
    this.chips = el("div", "kefu-chips");
    this.chips.setAttribute("data-testid", "kefu-chips");
    panel.appendChild(this.chips);

    var form = (this.form = el("form", "kefu-composer"));
    form.noValidate = true;
    this.inputLabel = el("label", "kefu-sr");
    this.inputLabel.htmlFor = "kefu-input";
    form.appendChild(this.inputLabel);
    var row = el("div", "kefu-input-row");
    var input = (this.input = el("textarea", "kefu-input"));
    input.id = "kefu-input";
    input.rows = 1;
    input.setAttribute("data-testid", "kefu-input");
    input.setAttribute("aria-describedby", "kefu-hint");
    row.appendChild(input);
    var send = (this.sendBtn = el("button", "kefu-send"));
    send.type = "submit";
    send.disabled = true;
    send.setAttribute("data-testid", "kefu-send");
    send.appendChild(svgIcon(ICONS.send, 18));
    row.appendChild(send);
    form.appendChild(row);
    this.hint = el("div", "kefu-hint");
    this.hint.id = "kefu-hint";
    this.hint.hidden = true;
    this.hint.setAttribute("data-testid", "kefu-hint");
    this.hint.setAttribute("aria-live", "polite");
    form.appendChild(this.hint);
    panel.appendChild(form);

    input.addEventListener("input", function () { self.updateComposer(); self.noteTyping(); });
    input.addEventListener("keydown", function (e) {
      // Enter sends; Shift+Enter is a newline; never send while an IME (拼音) is composing.
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
        e.preventDefault();
        self.submit();
      }
    });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      self.submit();
    });

    root.appendChild(panel);
    document.body.appendChild(root);
    this.setLanguage(this.lang);
    this.showEmpty();
  };

  UI.prototype.setLanguage = function (lang) {
    this.lang = resolveLanguage(lang);
    this.t = STRINGS[this.lang];
    if (!this.root) return;
    this.root.setAttribute("lang", this.lang === "zh" ? "zh-CN" : "en");
    this.titleEl.textContent = this.t.title;
    this.inputLabel.textContent = this.t.inputLabel;
    this.input.placeholder = this.t.placeholder;
    this.sendBtn.setAttribute("aria-label", this.t.send);
    this.sendBtn.title = this.t.send;
    this.closeBtn.setAttribute("aria-label", this.t.close);
    this.closeBtn.title = this.t.close;
    this.restartBtn.setAttribute("aria-label", this.t.restart);
    this.restartBtn.title = this.t.restart;
    this.updateLauncher();
    this.updateComposer();
    if (this.emptyEl) this.emptyEl.textContent = this.t.empty;
  };

  UI.prototype.isOpen = function () {
    return !!this.panel && !this.panel.hidden;
  };

  UI.prototype.show = function (open) {
    this.panel.hidden = !open;
    if (open) {
      this.unread = 0;
      this.scrollToEnd();
      var input = this.input;
      setTimeout(function () { input.focus(); }, 0);
    }
    this.updateLauncher();
  };

  UI.prototype.updateLauncher = function () {
    if (!this.launcher) return;
    var open = this.isOpen();
    this.launcher.setAttribute("aria-expanded", open ? "true" : "false");
    this.launcher.setAttribute("aria-label", open ? this.t.launcherClose : this.t.launcherOpen);
    this.launcher.title = open ? this.t.launcherClose : this.t.launcherOpen;
    this.badge.hidden = open || this.unread === 0;
    this.badge.textContent = this.unread > 9 ? "9+" : String(this.unread);
  };

  UI.prototype.setConnection = function (conn) {
    // conn: connecting | online | rest | offline
    if (!this.root) return;
    this.dot.setAttribute("data-conn", conn === "rest" ? "online" : conn);
    var t = this.t;
    var text = {
      connecting: t.statusConnecting,
      offline: t.statusOffline,
      rest: t.statusRest,
      online: this.handoff === "operator" ? t.statusOperator : this.handoff === "queued" ? t.statusQueued : t.statusOnline,
    }[conn];
    this.conn = conn;
    this.statusEl.textContent = text || "";
    this.panel.setAttribute("data-connection", conn);
  };

  UI.prototype.updateComposer = function () {
    if (!this.input) return;
    var text = this.input.value;
    var n = charCount(text);
    var over = n > MAX_LEN;
    this.input.setAttribute("aria-invalid", over ? "true" : "false");
    this.hint.setAttribute("data-over", over ? "true" : "false");
    if (over) {
      this.hint.hidden = false;
      this.hint.textContent = this.t.tooLong(n);
    } else if (n >= MAX_LEN - 200) {
      this.hint.hidden = false;
      this.hint.textContent = this.t.counter(n);
    } else {
      this.hint.hidden = true;
      this.hint.textContent = "";
    }
    this.sendBtn.disabled = over || text.trim() === "";
    // auto-grow up to the CSS max-height
    this.input.style.height = "auto";
    this.input.style.height = Math.min(this.input.scrollHeight + 2, 120) + "px";
  };

  UI.prototype.submit = function () {
    var text = this.input.value;
    if (text.trim() === "" || charCount(text) > MAX_LEN) {
      this.updateComposer();
      return;
    }
    this.input.value = "";
    this.updateComposer();
    this.stopTyping();
    this.widget.send(text).catch(function () { /* failure is shown on the message */ });
  };

  /** While an operator holds the chat, tell them the customer is typing: at most one "on" frame every
   *  3 s, and "off" after 4 s without keystrokes or when the message is sent. The bot is never told. */
  UI.prototype.noteTyping = function () {
    var s = this.widget.session;
    if (!s || this.handoff !== "operator") return;
    var now = Date.now();
    if (now - (this.typingSentAt || 0) > 3000 && s.wsSend({ type: "typing", on: true })) this.typingSentAt = now;
    clearTimeout(this.typingOffTimer);
    var self = this;
    this.typingOffTimer = setTimeout(function () { self.stopTyping(); }, 4000);
  };

  UI.prototype.stopTyping = function () {
    clearTimeout(this.typingOffTimer);
    if (!this.typingSentAt) return;
    this.typingSentAt = 0;
    var s = this.widget.session;
    if (s) s.wsSend({ type: "typing", on: false });
  };

  UI.prototype.reset = function () {
    this.messages.textContent = "";
    this.chips.textContent = "";
    this.streamEl = null;
    this.setTyping("bot", false);
    this.handoff = "bot";
    this.operatorName = "";
    this.handoffEl.hidden = true;
    this.handoffEl.textContent = "";
    this.handoffEl.removeAttribute("data-status");
    this.handoffEl.removeAttribute("data-operator");
    this.unread = 0;
    this.updateLauncher();
    this.showEmpty();
  };

  UI.prototype.showEmpty = function () {
    this.emptyEl = el("div", "kefu-empty", this.t.empty);
    this.emptyEl.setAttribute("data-testid", "kefu-empty");
    this.messages.appendChild(this.emptyEl);
  };

  UI.prototype.scrollToEnd = function () {
    var s = this.scroll;
    if (s) s.scrollTop = s.scrollHeight;
  };

  /** Insert a message element ordered by seq (unsequenced ones go last). */
  UI.prototype.insert = function (node, seq) {
    if (this.emptyEl) {
      this.emptyEl.remove();
      this.emptyEl = null;
    }
    if (isSeq(seq)) {
      node.setAttribute("data-seq", String(seq));
      var n = Number(seq);
      var items = this.messages.querySelectorAll(".kefu-msg[data-seq]");
      for (var i = 0; i < items.length; i++) {
        if (Number(items[i].getAttribute("data-seq")) > n) {
          this.messages.insertBefore(node, items[i]);
          return node;
        }
      }
    }
    this.messages.appendChild(node);
    this.scrollToEnd();
    return node;
  };

  UI.prototype.noteIncoming = function () {
    if (!this.isOpen()) {
      this.unread += 1;
      this.updateLauncher();
    }
  };

  UI.prototype.msgShell = function (role, senderText) {
    var node = el("div", "kefu-msg kefu-msg-" + role);
    node.setAttribute("data-role", role);
    if (senderText) node.appendChild(el("div", "kefu-sender", senderText));
    var bubble = el("div", "kefu-bubble");
    node.appendChild(bubble);
    return { node: node, bubble: bubble };
  };

  /** Customer's own message (optimistic until the server's echo gives it a seq). */
  UI.prototype.addUser = function (text, clientId, seq) {
    var m = this.msgShell("user");
    m.bubble.appendChild(el("span", "kefu-text", text));
    if (clientId) m.node.setAttribute("data-client-msg-id", clientId);
    if (!isSeq(seq)) {
      m.node.setAttribute("data-pending", "true");
      var st = el("div", "kefu-msg-state", this.t.sending + "…");
      m.node.appendChild(st);
    }
    this.chips.textContent = ""; // old quick replies no longer apply
    return this.insert(m.node, seq);
  };

  UI.prototype.confirmUser = function (node, seq) {
    node.removeAttribute("data-pending");
    node.removeAttribute("data-failed");
    var st = node.querySelector(".kefu-msg-state");
    if (st) st.remove();
    if (isSeq(seq)) {
      node.remove();
      this.insert(node, seq);
    }
  };

  UI.prototype.failUser = function (node, onRetry) {
    node.setAttribute("data-failed", "true");
    node.removeAttribute("data-pending");
    var st = node.querySelector(".kefu-msg-state");
    if (!st) {
      st = el("div", "kefu-msg-state");
      node.appendChild(st);
    }
    st.textContent = this.t.failed;
    if (onRetry) {
      var btn = el("button", "kefu-link-btn", this.t.retry);
      btn.type = "button";
      btn.addEventListener("click", function () { onRetry(); });
      st.appendChild(btn);
    }
  };

  UI.prototype.streamDelta = function (delta) {
    if (typeof delta !== "string" || !delta) return;
    if (!this.streamEl) {
      var m = this.msgShell("bot");
      m.node.setAttribute("data-streaming", "true");
      m.bubble.appendChild(el("span", "kefu-text", ""));
      this.streamEl = this.insert(m.node);
    }
    var span = this.streamEl.querySelector(".kefu-text");
    span.textContent += delta;
    this.setTyping("bot", false);
    this.scrollToEnd();
  };

  /** Bot reply: text, then cards, then one "来源/Source" line per distinct citation. */
  UI.prototype.addBot = function (f) {
    var node;
    if (this.streamEl) {
      node = this.streamEl; // replace the streamed draft with the final message
      this.streamEl = null;
      node.removeAttribute("data-streaming");
      node.textContent = "";
      node.remove();
      node.appendChild(el("div", "kefu-bubble"));
    } else {
      node = this.msgShell("bot").node;
    }
    var bubble = node.querySelector(".kefu-bubble");
    bubble.appendChild(el("span", "kefu-text", f.text == null ? "" : f.text));
    if (f.source) node.setAttribute("data-source", String(f.source));
    if (!f.text) bubble.hidden = true;

    var cards = Array.isArray(f.cards) ? f.cards : [];
    if (cards.length) {
      var box = el("div", "kefu-cards");
      for (var i = 0; i < cards.length; i++) {
        var card = this.renderCard(cards[i]);
        if (card) box.appendChild(card);
      }
      node.appendChild(box);
    }

    var cites = Array.isArray(f.citations) ? f.citations : [];
    if (cites.length) {
      var list = el("div", "kefu-citations");
      var seen = {};
      for (var j = 0; j < cites.length; j++) {
        var c = cites[j] || {};
        var title = c.title || c.doc;
        if (!title) continue;
        var key = String(c.doc || "") + "|" + String(title);
        if (seen[key]) continue;
        seen[key] = true;
        var line = el("div", "kefu-citation", this.t.source + title);
        if (c.doc) line.setAttribute("data-doc", String(c.doc));
        if (c.snippet) line.title = String(c.snippet);
        list.appendChild(line);
      }
      node.appendChild(list);
    }
    this.setTyping("bot", false);
    this.insert(node, f.seq);
    this.setChips(f.quick_replies);
    this.noteIncoming();
    return node;
  };

  UI.prototype.addOperator = function (f) {
    var name = f.operator ? this.t.operator + " · " + f.operator : this.t.operator;
    var m = this.msgShell("operator", name);
    m.bubble.appendChild(el("span", "kefu-text", f.text == null ? "" : f.text));
    if (f.operator) m.node.setAttribute("data-operator", String(f.operator));
    this.setTyping("operator", false);
    this.insert(m.node, f.seq);
    this.noteIncoming();
    return m.node;
  };

  UI.prototype.addSystem = function (text, kind, seq) {
    var m = this.msgShell("system");
    m.bubble.appendChild(el("span", "kefu-text", text));
    if (kind) m.node.setAttribute("data-kind", kind);
    return this.insert(m.node, seq);
  };

  UI.prototype.setChips = function (list) {
    this.chips.textContent = "";
    if (!Array.isArray(list)) return;
    var self = this;
    list.forEach(function (text) {
      if (typeof text !== "string" || !text.trim()) return;
      var chip = el("button", "kefu-chip", text);
      chip.type = "button";
      chip.addEventListener("click", function () {
        self.widget.send(text).catch(function () { /* shown on the message */ });
      });
      self.chips.appendChild(chip);
    });
  };

  UI.prototype.setTyping = function (who, on) {
    if (!this.typingEl) return;
    clearTimeout(this.typingTimer);
    if (on) {
      this.typingEl.setAttribute("data-who", who === "operator" ? "operator" : "bot");
      this.typingEl.hidden = false;
      var self = this;
      // never spin forever if the "off" frame is lost
      this.typingTimer = setTimeout(function () { self.typingEl.hidden = true; }, 20000);
      this.scrollToEnd();
    } else {
      this.typingEl.hidden = true;
    }
  };

  /** Handoff status: banner shows the current one; each change also leaves a line in the log. */
  UI.prototype.setHandoff = function (status, operator, seq) {
    if (status !== "queued" && status !== "operator" && status !== "bot") return;
    // the same status again only matters when another person (e.g. a supervisor) took over
    if (status === this.handoff && (status !== "operator" || !operator || operator === this.operatorName)) return;
    var prev = this.handoff, prevName = this.operatorName || "";
    this.handoff = status;
    // the operator's display name (the server never sends their login)
    this.operatorName = status === "operator" ? String(operator || "") : "";
    var text;
    if (status === "queued") text = this.t.handoffQueued;
    else if (status === "operator") text = this.t.handoffOperator(this.operatorName);
    else text = prev === "queued" || prev === "operator" ? this.t.handoffBot(prev === "operator" ? prevName : "") : null;
    if (!text) return;
    this.handoffEl.textContent = text;
    if (this.operatorName) this.handoffEl.setAttribute("data-operator", this.operatorName);
    else this.handoffEl.removeAttribute("data-operator");
    this.handoffEl.setAttribute("data-status", status);
    this.handoffEl.hidden = false;
    if (status === "bot") {
      var banner = this.handoffEl;
      setTimeout(function () { if (banner.getAttribute("data-status") === "bot") banner.hidden = true; }, 6000);
    }
    this.addSystem(text, "handoff", seq);
    if (this.conn === "online") this.setConnection("online");
  };

  UI.prototype.showCsat = function (onScore) {
    var self = this;
    var old = this.messages.querySelector(".kefu-csat:not([data-done])");
    if (old) old.remove();
    var t = this.t;
    var box = el("div", "kefu-msg kefu-csat");
    box.setAttribute("data-role", "system");
    box.setAttribute("data-kind", "csat");
    box.setAttribute("data-testid", "kefu-csat");
    box.setAttribute("role", "group");
    var q = el("div", "kefu-csat-q", t.csatQuestion);
    q.id = "kefu-csat-q-" + Date.now();
    box.setAttribute("aria-labelledby", q.id);
    box.appendChild(q);
    var row = el("div", "kefu-csat-row");
    [1, 2, 3, 4, 5].forEach(function (n) {
      var b = el("button", "kefu-csat-btn", String(n));
      b.type = "button";
      b.setAttribute("data-score", String(n));
      b.setAttribute("aria-label", t.csatScore(n));
      b.addEventListener("click", function () {
        onScore(n);
        self.csatDone(n);
      });
      row.appendChild(b);
    });
    box.appendChild(row);
    var scale = el("div", "kefu-csat-scale");
    scale.appendChild(el("span", "", "1 · " + t.csatLow));
    scale.appendChild(el("span", "", "5 · " + t.csatHigh));
    box.appendChild(scale);
    this.setTyping("bot", false);
    this.insert(box);
    this.noteIncoming();
  };

  /** The server recorded a score (maybe from another tab): close any open prompt. */
  UI.prototype.csatDone = function (score) {
    var box = this.messages.querySelector(".kefu-csat:not([data-done])");
    if (!box) return;
    box.setAttribute("data-done", "true");
    box.setAttribute("data-score", String(score));
    box.textContent = "";
    box.appendChild(el("div", "kefu-csat-q", this.t.csatThanks(score)));
  };

  UI.prototype.addError = function (code, message) {
    var known = code && this.t.errors[code];
    var text = known || this.t.errorPrefix + (message || code || "");
    this.setTyping("bot", false);
    return this.addSystem(text, "error");
  };

  /** Cards: render whatever known fields are present; never fail on missing/extra keys. */
  UI.prototype.renderCard = function (card) {
    if (!card || typeof card !== "object") return null;
    var t = this.t;
    var type = String(card.type || "generic");
    var node = el("div", "kefu-card kefu-card-" + type.replace(/[^a-z0-9_-]/gi, ""));
    node.setAttribute("data-card-type", type);
    if (card.id != null) node.setAttribute("data-id", String(card.id));
    var thumb = el("div", "kefu-card-thumb");
    var body = el("div", "kefu-card-body");
    var title = card.title || card.name || (type === "order" ? t.order + " " + (card.id || "") : card.id) || "";
    body.appendChild(el("div", "kefu-card-title", title));

    if (type === "product") {
      var label = String(card.category || title || "?");
      thumb.textContent = Array.from(label)[0] || "?";
      thumb.style.background = pickColor(label);
      var sub = [card.category, card.brand, card.id].filter(Boolean).join(" · ");
      if (sub) body.appendChild(el("div", "kefu-card-sub", sub));
      var row = el("div", "kefu-card-row");
      var price = formatPrice(card.price, card.currency);
      if (price) row.appendChild(el("span", "kefu-price", price));
      if (card.in_stock === true || card.in_stock === false) {
        var pill = el("span", "kefu-pill", card.in_stock ? t.inStock : t.outOfStock);
        if (!card.in_stock) pill.setAttribute("data-tone", "bad");
        row.appendChild(pill);
      }
      if (row.childNodes.length) body.appendChild(row);
    } else if (type === "order") {
      thumb.appendChild(svgIcon(ICONS.box, 22));
      thumb.style.background = "#e0e7ff";
      thumb.style.color = "#4338ca";
      var orow = el("div", "kefu-card-row");
      if (card.id && title.indexOf(card.id) === -1) orow.appendChild(el("span", "kefu-mono", card.id));
      // the most specific status we have: server text, then shipment status, then order status
      var statusText = card.status_text || SHIPMENT_STATUS[this.lang][card.shipment_status] ||
        ORDER_STATUS[this.lang][card.status] || card.status;
      if (statusText) {
        var spill = el("span", "kefu-pill", statusText);
        spill.setAttribute("data-status", String(card.status || ""));
        spill.setAttribute("data-tone", card.status === "delivered" ? "" : card.status === "cancelled" ? "bad" :
          card.status === "shipped" ? "info" : "warn");
        orow.appendChild(spill);
      }
      var total = formatPrice(card.total, card.currency);
      if (total) orow.appendChild(el("span", "kefu-card-sub", total));
      if (orow.childNodes.length) body.appendChild(orow);
      if (typeof card.items === "number") orow.appendChild(el("span", "kefu-card-sub", t.items(card.items)));
      if (card.placed_at) body.appendChild(el("div", "kefu-card-sub", t.placedAt + formatDate(card.placed_at, this.lang)));
      if (card.latest_event) {
        var ev = card.latest_event;
        var evText = typeof ev === "string" ? ev : [ev.at ? formatDate(ev.at, this.lang) : "", ev.description || ev.text || ev.status || ""]
          .filter(Boolean).join(" ");
        if (evText) body.appendChild(el("div", "kefu-card-event", evText));
      }
    } else if (type === "coupon") {
      thumb.textContent = this.lang === "zh" ? "券" : "%";
      thumb.style.background = "#f59e0b";
      var crow = el("div", "kefu-card-row");
      var amount = card.discount_text || card.discount || card.amount || card.value;
      if (amount) crow.appendChild(el("span", "kefu-price", amount));
      if (card.code) crow.appendChild(el("span", "kefu-mono", t.code + card.code));
      if (crow.childNodes.length) body.appendChild(crow);
      if (card.description) body.appendChild(el("div", "kefu-card-sub", card.description));
      if (card.min_spend) body.appendChild(el("div", "kefu-card-sub", t.minSpend(formatPrice(card.min_spend, card.currency))));
      var until = card.expires_at || card.valid_until;
      if (until) body.appendChild(el("div", "kefu-card-sub", t.validUntil + formatDate(until, this.lang)));
    } else {
      thumb.textContent = "•";
      thumb.style.background = "#94a3b8";
      if (card.description) body.appendChild(el("div", "kefu-card-sub", card.description));
      var gprice = formatPrice(card.price, card.currency);
      if (gprice) body.appendChild(el("div", "kefu-price", gprice));
    }
    node.appendChild(thumb);
    node.appendChild(body);
    return node;
  };

  function pickColor(label) {
    var colors = ["#6366f1", "#0ea5e9", "#10b981", "#f59e0b", "#ef4444", "#8b5cf6", "#14b8a6", "#ec4899"];
    var h = 0;
    for (var i = 0; i < label.length; i++) h = (h * 31 + label.charCodeAt(i)) >>> 0;
    return colors[h % colors.length];
  }

  // ---------------------------------------------------------------------------------------------
  // Session: one conversation — creation, WebSocket with resume, REST fallback, dedupe by seq.
  // ---------------------------------------------------------------------------------------------
  function Session(widget, cfg) {
    this.widget = widget;
    this.ui = widget.ui;
    this.server = cfg.server;
    this.customerId = cfg.customerId || null;
    this.language = cfg.language || null;
    this.key = "kefu:" + this.server + ":" + (this.customerId || "-") + ":" + (this.language || "-");
    this.id = null;
    this.token = null;
    this.lastSeq = 0;
    this.seen = new Set(); // seqs already rendered/applied: a frame is never shown twice
    this.byClientId = new Map(); // client_msg_id -> optimistic message element
    this.unsentWs = new Map(); // client_msg_id -> {text, tries}: sent on the socket, not yet echoed
    this.outbox = []; // messages typed before any transport was ready
    this.ws = null;
    this.wsReady = false;
    this.wsEverOpened = false;
    this.attempt = 0;
    this.reconnectTimer = null;
    this.pollTimer = null;
    this.restMode = false;
    this.dead = false; // token rejected: stop reconnecting
    this.disposed = false;
    this.pendingCsat = null;
    var self = this;
    this.ready = this.start();
    this.ready.catch(function (e) {
      if (self.disposed) return;
      var t = self.ui.t;
      self.ui.setConnection("offline");
      self.ui.addSystem(e && e.status === 0 ? t.errors.network : t.startFailed, "error");
    });
  }

  Session.prototype.start = function () {
    var self = this;
    this.ui.setConnection("connecting");
    var stored = storageGet(this.key);
    var restore = stored && stored.id && stored.token ? this.restore(stored) : Promise.reject(null);
    return restore.catch(function () {
      if (self.disposed) throw new Error("disposed");
      return api(self.server, "POST", "/api/conversations", {
        channel: "web",
        customer_id: self.customerId,
        language: self.language,
      }).then(function (data) {
        if (self.disposed) throw new Error("disposed");
        self.id = data.conversation_id;
        self.token = data.token;
        storageSet(self.key, { id: self.id, token: self.token });
      });
    }).then(function () {
      if (self.disposed) return;
      emit("kefu:conversation", { conversationId: self.id, customerId: self.customerId, language: self.language });
      self.connect();
    });
  };

  /** Reload within a tab: reuse the stored conversation and replay its history. */
  Session.prototype.restore = function (stored) {
    var self = this;
    return api(this.server, "GET", "/api/conversations/" + encodeURIComponent(stored.id) + "/events?after=0",
      undefined, stored.token).then(function (data) {
      if (self.disposed) throw new Error("disposed");
      self.id = stored.id;
      self.token = stored.token;
      self.applyEvents(data && data.events);
    }, function (e) {
      storageSet(self.key, null);
      throw e;
    });
  };

  Session.prototype.dispose = function () {
    this.disposed = true;
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.outboxTimer);
    clearInterval(this.pollTimer);
    if (this.ws) {
      try { this.ws.close(1000, "new conversation"); } catch (_) { /* ignore */ }
    }
    this.ws = null;
  };

  Session.prototype.forget = function () {
    storageSet(this.key, null);
  };

  Session.prototype.wsUrl = function () {
    var base = this.server.replace(/^http(s?):\/\//i, function (_m, s) { return s ? "wss://" : "ws://"; });
    return base + "/ws/chat/" + encodeURIComponent(this.id) + "?token=" + encodeURIComponent(this.token);
  };

  Session.prototype.connect = function () {
    if (this.disposed || this.dead || this.ws) return;
    var self = this;
    var opened = false;
    var ws;
    if (typeof WebSocket !== "function") {
      this.enterRestMode();
      return;
    }
    if (!this.wsEverOpened && !this.restMode) this.ui.setConnection("connecting");
    try {
      ws = new WebSocket(this.wsUrl());
    } catch (_) {
      this.enterRestMode();
      return;
    }
    this.ws = ws;
    var openTimeout = setTimeout(function () { if (!opened) ws.close(); }, 6000);
    var stableTimer = null;

    ws.onopen = function () {
      if (self.disposed || self.ws !== ws) return;
      opened = true;
      clearTimeout(openTimeout);
      self.wsReady = true;
      self.wsEverOpened = true;
      // the backoff resets only once a connection has stayed up for a while
      stableTimer = setTimeout(function () { self.attempt = 0; }, 5000);
      self.leaveRestMode();
      self.ui.setConnection("online");
      // Ask for everything after the last seq we have seen (missed while offline or before connect).
      self.wsSend({ type: "resume", after: self.lastSeq });
      // Messages sent on a dropped socket and never echoed: send again (the server dedupes by
      // client_msg_id), but give up after a few tries so one bad message cannot loop forever.
      self.unsentWs.forEach(function (m, clientId) {
        if (m.tries >= 3) {
          self.unsentWs.delete(clientId);
          self.failMessage(clientId, m.text);
          return;
        }
        m.tries += 1;
        self.wsSend({ type: "user_message", text: m.text, client_msg_id: clientId });
      });
      clearTimeout(self.outboxTimer);
      var queued = self.outbox.splice(0);
      queued.forEach(function (m) { self.transmit(m.text, m.clientId).catch(noop); });
      if (self.pendingCsat) {
        self.wsSend({ type: "csat", score: self.pendingCsat });
        self.pendingCsat = null;
      }
    };

    ws.onmessage = function (ev) {
      if (self.disposed || self.ws !== ws) return;
      var frame;
      try { frame = JSON.parse(ev.data); } catch (_) { return; }
      if (frame && typeof frame === "object") self.handleFrame(frame);
    };

    ws.onerror = function () { /* onclose follows and decides */ };

    ws.onclose = function (ev) {
      clearTimeout(openTimeout);
      clearTimeout(stableTimer);
      if (self.ws !== ws) return;
      self.ws = null;
      self.wsReady = false;
      if (self.disposed) return;
      // 4400–4499 (the server's 4000 + HTTP status) or 1008: token or conversation rejected;
      // reconnecting would not help. The server's error frame, if any, is already shown.
      if ((ev.code >= 4400 && ev.code < 4500) || ev.code === 1008) {
        self.dead = true;
        self.ui.setConnection("offline");
        if (!self.sawErrorFrame) self.ui.addSystem(self.ui.t.expired, "error");
        self.forget();
        return;
      }
      if (!opened && !self.wsEverOpened) {
        self.enterRestMode(); // socket never worked: talk REST, keep retrying the socket in the background
      } else {
        self.ui.setConnection(self.restMode ? "rest" : "offline");
        if (!opened) self.enterRestMode();
      }
      self.scheduleReconnect();
    };
  };

  Session.prototype.scheduleReconnect = function () {
    if (this.disposed || this.dead) return;
    var self = this;
    var delay = Math.min(15000, 500 * Math.pow(2, this.attempt)) * (0.75 + Math.random() * 0.5);
    this.attempt += 1;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(function () { self.connect(); }, delay);
  };

  Session.prototype.enterRestMode = function () {
    if (this.disposed) return;
    var self = this;
    if (!this.restMode) {
      this.restMode = true;
      this.ui.setConnection("rest");
      // poll for operator messages and anything else the server adds on its own
      this.pollTimer = setInterval(function () {
        if (self.widget.ui.isOpen()) self.fetchEvents().catch(function () { /* next tick */ });
      }, 3000);
    }
    var queued = this.outbox.splice(0);
    queued.forEach(function (m) { self.transmit(m.text, m.clientId).catch(noop); });
    this.unsentWs.forEach(function (m, clientId) {
      self.unsentWs.delete(clientId);
      self.transmit(m.text, clientId).catch(noop);
    });
  };

  /** Mark a message as not sent, with a retry link that sends it again as a new message. */
  Session.prototype.failMessage = function (clientId, text) {
    var node = this.byClientId.get(clientId);
    if (!node) return;
    var self = this;
    this.ui.failUser(node, function () {
      node.remove();
      self.byClientId.delete(clientId);
      self.widget.send(text).catch(noop);
    });
  };

  Session.prototype.leaveRestMode = function () {
    this.restMode = false;
    clearInterval(this.pollTimer);
    this.pollTimer = null;
  };

  Session.prototype.wsSend = function (obj) {
    if (!this.ws || !this.wsReady) return false;
    try {
      this.ws.send(JSON.stringify(obj));
      return true;
    } catch (_) {
      return false;
    }
  };

  /** Show the message now (optimistic), then deliver it. */
  Session.prototype.send = function (text) {
    var clientId = uuid();
    var node = this.ui.addUser(text, clientId);
    this.byClientId.set(clientId, node);
    if (this.ui.handoff === "bot") this.ui.setTyping("bot", true);
    emit("kefu:message", { role: "user", text: text, clientMsgId: clientId });
    var self = this;
    return this.ready.then(function () {
      if (self.disposed) return;
      if (self.wsReady || self.restMode || self.dead) return self.transmit(text, clientId);
      // Socket (re)connecting: hold the message briefly, then fall back to REST if it is still down.
      self.outbox.push({ text: text, clientId: clientId });
      clearTimeout(self.outboxTimer);
      self.outboxTimer = setTimeout(function () {
        if (self.disposed || self.wsReady) return;
        self.outbox.splice(0).forEach(function (m) { self.postRest(m.text, m.clientId).catch(noop); });
      }, 4000);
    }, function (e) {
      self.ui.failUser(node, null);
      throw e;
    });
  };

  Session.prototype.transmit = function (text, clientId) {
    if (this.wsReady && this.wsSend({ type: "user_message", text: text, client_msg_id: clientId })) {
      this.unsentWs.set(clientId, { text: text, tries: 0 });
      return Promise.resolve();
    }
    return this.postRest(text, clientId);
  };

  /** REST fallback: POST the message, then read the stored events to get seqs (keeps dedupe exact). */
  Session.prototype.postRest = function (text, clientId) {
    var self = this;
    var node = this.byClientId.get(clientId);
    var before = this.lastSeq;
    return api(this.server, "POST", "/api/conversations/" + encodeURIComponent(this.id) + "/messages",
      { text: text, client_msg_id: clientId }, this.token).then(function (data) {
      if (self.disposed) return;
      var reply = data && !data.duplicate && data.reply;
      // An empty reply means the bot stayed silent (an operator holds the conversation).
      if (reply && !reply.text && !(reply.cards && reply.cards.length)) reply = null;
      var settle = function () {
        if (node && node.getAttribute("data-pending") === "true") self.ui.confirmUser(node);
        if (self.ui.handoff === "bot") self.ui.setTyping("bot", false);
      };
      return self.fetchEvents().then(function () {
        // The events should hold our message and the reply; if not, show the reply as returned.
        settle();
        if (self.lastSeq === before && reply) self.renderBot(reply, data.state);
      }, function () {
        settle();
        if (reply) self.renderBot(reply, data.state);
      });
    }, function (e) {
      if (self.disposed) return;
      self.failMessage(clientId, text);
      self.ui.addError(e.code, e.message);
      throw e;
    });
  };

  Session.prototype.fetchEvents = function () {
    var self = this;
    return api(this.server, "GET", "/api/conversations/" + encodeURIComponent(this.id) + "/events?after=" + this.lastSeq,
      undefined, this.token).then(function (data) {
      if (!self.disposed) self.applyEvents(data && data.events);
    });
  };

  Session.prototype.applyEvents = function (events) {
    if (!Array.isArray(events)) return;
    var self = this;
    events.slice().sort(function (a, b) { return Number(a.seq) - Number(b.seq); })
      .forEach(function (evt) { self.handleFrame(eventToFrame(evt)); });
  };

  /** Returns true when this seq was already handled (and records it otherwise). */
  Session.prototype.dupe = function (seq) {
    if (!isSeq(seq)) return false;
    var n = Number(seq);
    if (this.seen.has(n)) return true;
    this.seen.add(n);
    if (n > this.lastSeq) this.lastSeq = n;
    return false;
  };

  Session.prototype.renderBot = function (f, state) {
    this.ui.addBot(f);
    var st = state || f.state;
    if (st && st.handoff) this.ui.setHandoff(st.handoff);
    emit("kefu:message", { role: "bot", text: f.text, seq: f.seq });
  };

  Session.prototype.handleFrame = function (f) {
    var ui = this.ui;
    switch (f.type) {
      case "bot_token":
        ui.streamDelta(f.delta);
        break;
      case "bot_message":
        if (this.dupe(f.seq)) return;
        this.settlePending();
        this.renderBot(f, f.state);
        break;
      case "user_message":
        if (this.dupe(f.seq)) return;
        this.reconcileUser(f);
        break;
      case "operator_message":
        if (this.dupe(f.seq)) return;
        this.settlePending();
        ui.addOperator(f);
        emit("kefu:message", { role: "operator", text: f.text, seq: f.seq, operator: f.operator });
        break;
      case "typing":
        ui.setTyping(f.who, !!f.on);
        break;
      case "handoff":
        if (this.dupe(f.seq)) return;
        ui.setHandoff(f.status, f.operator, f.seq);
        break;
      case "csat_request":
        ui.showCsat(this.sendCsat.bind(this));
        break;
      case "csat_recorded":
        if (this.dupe(f.seq)) return;
        ui.csatDone(f.score);
        break;
      case "error":
        this.onErrorFrame(f);
        break;
      case "_seen":
        this.dupe(f.seq);
        break;
      default:
        // Stored-event shape ({type: "bot_uttered", payload}) on the socket: treat like a frame.
        if (f.payload && typeof f.payload === "object" && eventToFrame(f).type !== "_seen") {
          this.handleFrame(eventToFrame(f));
        } else if (isSeq(f.seq)) {
          this.dupe(f.seq);
        }
    }
  };

  /** Echo of a customer message: give the optimistic bubble its seq, or show it (another tab, history). */
  Session.prototype.reconcileUser = function (f) {
    var node = f.client_msg_id ? this.byClientId.get(f.client_msg_id) : null;
    if (!node) {
      // No id (REST-posted or replayed): match the oldest unsequenced bubble with the same text.
      var cands = this.ui.messages.querySelectorAll('.kefu-msg[data-role="user"]:not([data-seq])');
      for (var i = 0; i < cands.length; i++) {
        var txt = cands[i].querySelector(".kefu-text");
        if (txt && txt.textContent.trim() === String(f.text == null ? "" : f.text).trim()) {
          node = cands[i];
          break;
        }
      }
    }
    if (f.client_msg_id) this.unsentWs.delete(f.client_msg_id);
    if (node) {
      if (!node.hasAttribute("data-seq")) this.ui.confirmUser(node, f.seq);
      if (node.getAttribute("data-client-msg-id")) this.unsentWs.delete(node.getAttribute("data-client-msg-id"));
    } else {
      node = this.ui.addUser(f.text == null ? "" : f.text, f.client_msg_id, f.seq);
      if (f.client_msg_id) this.byClientId.set(f.client_msg_id, node);
    }
  };

  /** A reply arrived: any messages still "sending" evidently reached the server. */
  Session.prototype.settlePending = function () {
    var self = this;
    this.ui.messages.querySelectorAll('.kefu-msg[data-role="user"][data-pending="true"]').forEach(function (node) {
      self.ui.confirmUser(node);
      var cid = node.getAttribute("data-client-msg-id");
      if (cid) self.unsentWs.delete(cid);
    });
  };

  Session.prototype.onErrorFrame = function (f) {
    this.sawErrorFrame = true;
    var node = f.client_msg_id ? this.byClientId.get(f.client_msg_id) : null;
    if (!node && (f.code === "invalid_message" || f.code === "too_large" || f.code === "invalid_frame")) {
      // refers to the message just sent: the newest one still waiting for its echo
      var waiting = this.ui.messages.querySelectorAll('.kefu-msg[data-role="user"][data-pending="true"]');
      node = waiting.length ? waiting[waiting.length - 1] : null;
      if (node) f = { code: f.code, message: f.message, client_msg_id: node.getAttribute("data-client-msg-id") };
    }
    if (node) {
      this.unsentWs.delete(f.client_msg_id);
      this.ui.failUser(node, null);
    }
    this.ui.addError(f.code, f.message);
  };

  Session.prototype.sendCsat = function (score) {
    var self = this;
    this.ready.then(function () {
      if (!self.wsSend({ type: "csat", score: score })) self.pendingCsat = score; // sent on reconnect
    });
  };

  // ---------------------------------------------------------------------------------------------
  // Widget facade (window.Kefu)
  // ---------------------------------------------------------------------------------------------
  function Widget() {
    this.ui = new UI(this);
    this.cfg = { server: null, customerId: null, language: null, launcher: true };
    this.session = null;
  }

  Widget.prototype.init = function (opts) {
    opts = opts || {};
    if (opts.server !== undefined) this.cfg.server = opts.server;
    if (opts.customerId !== undefined) this.cfg.customerId = opts.customerId || null;
    if (opts.language !== undefined) this.cfg.language = opts.language === "zh" || opts.language === "en" ? opts.language : null;
    if (opts.launcher !== undefined) this.cfg.launcher = opts.launcher !== false;
    this.ui.mount(this.cfg.launcher);
    if (!this.session) this.ui.setLanguage(this.cfg.language);
    return this;
  };

  Widget.prototype.sameTarget = function (s) {
    return s && !s.disposed && !s.dead && s.server === normalizeServer(this.cfg.server) &&
      s.customerId === (this.cfg.customerId || null) && s.language === (this.cfg.language || null);
  };

  /** Open the panel; starts a new conversation when customer/language/server differ from the current one. */
  Widget.prototype.open = function (opts) {
    this.init(opts);
    if (!this.sameTarget(this.session)) this.startSession();
    this.ui.show(true);
    emit("kefu:open", {});
    return this.session.ready;
  };

  Widget.prototype.startSession = function () {
    if (this.session) this.session.dispose();
    this.ui.setLanguage(this.cfg.language);
    this.ui.reset();
    this.session = new Session(this, {
      server: normalizeServer(this.cfg.server),
      customerId: this.cfg.customerId,
      language: this.cfg.language,
    });
    return this.session;
  };

  Widget.prototype.newConversation = function () {
    if (this.session) this.session.forget();
    this.startSession();
    this.ui.show(true);
    return this.session.ready;
  };

  Widget.prototype.close = function () {
    if (!this.ui.panel) return;
    this.ui.show(false);
    emit("kefu:close", {});
  };

  /** Send a customer message (opens the panel/conversation if needed). */
  Widget.prototype.send = function (text) {
    text = String(text == null ? "" : text).trim(); // the server strips too; keeps echoes identical
    if (!text.trim()) return Promise.reject(new Error("empty message"));
    if (charCount(text) > MAX_LEN) return Promise.reject(new Error("message longer than " + MAX_LEN));
    if (!this.sameTarget(this.session) || !this.ui.isOpen()) this.open();
    return this.session.send(text);
  };

  Widget.prototype.info = function () {
    var s = this.session;
    return s ? {
      conversationId: s.id, customerId: s.customerId, language: s.language, lastSeq: s.lastSeq,
      transport: s.wsReady ? "websocket" : s.restMode ? "rest" : "connecting",
    } : null;
  };

  var widget = new Widget();
  window.Kefu = {
    __kefu: true,
    init: function (opts) { widget.init(opts); return window.Kefu; },
    open: function (opts) { return widget.open(opts); },
    close: function () { widget.close(); },
    send: function (text) { return widget.send(text); },
    newConversation: function () { return widget.newConversation(); },
    info: function () { return widget.info(); },
    MAX_LENGTH: MAX_LEN,
  };

  // Script-tag embedding: read data-* attributes and mount the launcher.
  function autoInit() {
    if (!script) return;
    var d = script.dataset || {};
    var opts = { launcher: d.launcher !== "false" };
    // Only attributes that are present: never undo what the page already set via Kefu.init().
    if (d.kefuServer) opts.server = d.kefuServer;
    if (d.customerId) opts.customerId = d.customerId;
    if (d.language) opts.language = d.language;
    widget.init(opts);
    if (d.open === "true") widget.open();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", autoInit);
  else autoInit();
})();
