  // /static/console.js, part conversation.js: the open conversation: header, timeline, customer typing.
  // Runs inside the script's one IIFE, like every part; parts and order: server/api/assets.py.
  function select(id) {
    if (S.selected && S.selected !== id) wsSend({ type: "close", conversation_id: S.selected });
    S.selected = id;
    S.detail = null;
    renderLists();
    setHidden(["conv-empty", "customer-typing"], true);
    setHidden(["conv-body", "side"], false);
    clear($("timeline"));
    clear($("suggestions"));
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
      case "order_wish_recorded": role = "system"; text = ev.order_wish_recorded(p); break;
      case "order_cancelled": role = "system"; text = ev.order_cancelled(p); break;
      case "customer_profiled":
        role = "meta"; text = STRINGS[S.lang].insightTitle + ": " + (insT().segment[p.segment] || p.segment)
          + (p.churn_risk == null ? "" : " · " + insT().churn(Math.round(p.churn_risk * 100))); break;
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
