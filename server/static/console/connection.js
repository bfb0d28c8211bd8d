  // /static/console.js, part connection.js: sign-in and the operator socket with its frames.
  // Runs inside the script's one IIFE, like every part; parts and order: server/api/assets.py.
  function showLogin(message) {
    S.me = null;
    S.signedOut = true;
    closeSocket();
    setHidden(["app", "me", "stats", "marketing"], true);
    $("login").hidden = false;
    S.view = "conversations";
    S.stats = null;
    clearInterval(S.statsTimer);
    resetMarketing();
    renderStatsToggle();
    renderMarketingToggle();
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
    if (me.role === "marketer") { // the marketing view only: no conversations, no console socket
      showView("marketing");
      return;
    }
    if (me.role !== "operator" && me.role !== "supervisor") {
      showLogin(errorText({ code: "forbidden_role" }));
      return;
    }
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
        if (f.code === "session_expired" || f.code === "session_ended") showLogin(errorText(f));
        else toast(errorText(f), "error");
        break;
      default:
        break;
    }
  }
