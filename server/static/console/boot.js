  // /static/console.js, part boot.js: wiring the page's controls, then start.
  // Runs inside the script's one IIFE, like every part; parts and order: server/api/assets.py.
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
    bindMarketing();
    bindCampaigns();
    bindCampaignForm();
    bindAssistant();
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
