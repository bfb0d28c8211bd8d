  // /widget.js, part helpers.js: small helpers: language, ids, formatting, storage, the API call, stored events as frames.
  // Runs inside the script's one IIFE, like every part; parts and order: server/api/assets.py.
  function resolveLanguage(lang) {
    return lang === "zh" || lang === "en" ? lang : browserLanguage();
  }

  function noop() { /* errors are already shown in the panel */ }

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

  /** The Kefu API as this conversation's customer: no cookies, the conversation's token as a Bearer header. */
  function api(server, method, path, body, token) {
    return fetchJson(server + path, { method: method, body: body, credentials: "omit",
      headers: token ? { Authorization: "Bearer " + token } : null });
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
