  // /static/console.js, part side.js: side panels (profile, orders, past, notes, canned, suggestions) and actions.
  // Runs inside the script's one IIFE, like every part; parts and order: server/api/assets.py.
  function renderSide() {
    renderProfile();
    renderInsight();
    renderLinked();
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

  /** One <li> per item, `fill(li, item)` puts its content in; one muted line instead when there is none. */
  function fillList(ol, items, emptyText, fill) {
    clear(ol);
    if (!items.length && emptyText) ol.appendChild(el("li", "muted", emptyText));
    items.forEach(function (item) {
      var li = el("li");
      fill(li, item);
      ol.appendChild(li);
    });
  }

  function listButton(cls, text, attrs, onClick) {
    var b = el("button", cls, text);
    b.type = "button";
    Object.keys(attrs).forEach(function (k) { b.setAttribute(k, attrs[k]); });
    b.addEventListener("click", onClick);
    return b;
  }

  function renderOrders() {
    fillList($("orders"), S.detail.orders, t("noOrders"), function (li, o) {
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
      (o.wishes || []).forEach(function (w) { // what the customer asked for before it ships: the warehouse's note
        var note = el("div", "order-wish", STRINGS[S.lang].wish(w.kind, w.value));
        note.setAttribute("data-testid", "order-wish");
        li.appendChild(note);
      });
    });
  }

  function renderPast() {
    fillList($("past"), S.detail.past, t("noPast"), function (li, r) {
      var text = fmtDate(r.started_at) + " " + fmtTime(r.started_at) + " · " + label("intent", r.intent) +
        (r.csat ? " · " + STRINGS[S.lang].csat(r.csat) : "");
      li.appendChild(listButton(null, text, { "data-conversation-id": r.id }, function () { select(r.id); }));
    });
  }

  function renderNotes() {
    fillList($("notes"), S.detail ? S.detail.notes : [], t("noNotes"), function (li, n) {
      li.setAttribute("data-testid", "note");
      li.appendChild(el("div", "note-meta", n.display_name + " · " + fmtTime(n.at)));
      li.appendChild(el("div", "note-text", n.text));
    });
  }

  function fillComposer(text) {
    var box = $("composer");
    if (box.disabled) { toast(t("hintTakeover")); }
    box.value = text;
    box.focus();
  }

  function renderCanned() {
    if (!S.cannedData) { clear($("canned")); return; }
    var lang = S.cannedLang || (S.detail && S.detail.conversation && S.detail.conversation.language) || S.lang;
    document.querySelectorAll("[data-canned-lang]").forEach(function (b) {
      b.setAttribute("aria-selected", String(b.getAttribute("data-canned-lang") === lang));
    });
    fillList($("canned"), S.cannedData[lang] || [], null, function (li, c) {
      var b = listButton("canned-item", null, { "data-testid": "canned-item", "data-key": c.key },
        function () { fillComposer(c.text); });
      b.appendChild(el("b", null, c.title));
      b.appendChild(document.createTextNode(c.text));
      li.appendChild(b);
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
      fillList($("suggestions"), d.suggestions, t("noSuggestions"), function (li, s) {
        li.appendChild(listButton("suggestion", s.text, { "data-testid": "suggestion" }, function () { fillComposer(s.text); }));
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
