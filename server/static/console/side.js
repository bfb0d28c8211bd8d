  // /static/console.js, part side.js: side panels (profile, orders, past, notes, canned, suggestions) and actions.
  // Runs inside the script's one IIFE, like every part; parts and order: server/api/assets.py.
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
