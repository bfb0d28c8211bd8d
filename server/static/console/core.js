  // /static/console.js, part core.js: state, formatting, the API call, errors and toasts, the page language.
  // Runs inside the script's one IIFE, like every part; parts and order: server/api/assets.py.
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
    return browserLanguage();
  }

  function t(key) { return STRINGS[S.lang][key]; }
  function label(group, key) { var g = STRINGS[S.lang][group] || {}; return g[key] || key || "—"; }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function setHidden(ids, hidden) { ids.forEach(function (id) { $(id).hidden = hidden; }); }

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
  /** The operator API: the session cookie signs the call in (ApiError and fetchJson: shared/http.js). */
  function api(method, path, body) {
    return fetchJson(path, { method: method, body: body, credentials: "same-origin" });
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
    renderMarketingToggle();
    if (MKT.rules || MKT.recs) renderMarketing();
    if (S.view === "marketing") {
      showPane(MKT.pane);
      if (CAMP.list) { renderCampaignList(); renderCampaignDetail(); }
      renderAssistant();
    }
  }
