  // /static/console.js, part assistant.js: the marketing assistant beside the marketing view — a marketer types
  // "给618写个活动文案", "618活动效果怎么样", "A/B 测试结果", "Pause the new-customer campaign" and gets the answer or
  // the draft (POST /api/operator/marketing/ask). A change is only proposed: it runs when the marketer presses
  // confirm (POST /api/operator/marketing/confirm with the proposal's token), with their note as the reason.
  // Runs inside the script's one IIFE, like every part; parts and order: server/api/assets.py.
  var CHAT = { log: [], busy: false };

  function A() { return t("ask"); }

  function resetAssistant() {
    CHAT.log = [];
    CHAT.busy = false;
    renderAssistant();
  }

  function ask(text, campaignId) {
    text = String(text || "").trim();
    if (!text || CHAT.busy) return;
    var context = campaignId || (MKT.pane === "campaigns" ? CAMP.selected : null);
    CHAT.log.push({ role: "user", text: text });
    CHAT.busy = true;
    renderAssistant();
    var body = { text: text, language: S.lang };
    if (context) body.campaign_id = context;
    api("POST", "/api/operator/marketing/ask", body).then(function (data) {
      CHAT.busy = false;
      CHAT.log.push({ role: "assistant", text: data.answer + (data.parsed_by === "llm" ? A().byLlm : ""), data: data,
        asked: text, state: data.proposal ? "open" : null });
      renderAssistant();
    }, function (err) {
      CHAT.busy = false;
      CHAT.log.push({ role: "assistant", text: errorText(err), error: true });
      renderAssistant();
      if (err && err.status === 401) onApiError(err);
    });
  }

  function confirmProposal(entry, note) {
    var p = entry.data.proposal;
    entry.state = "sending";
    renderAssistant();
    api("POST", "/api/operator/marketing/confirm", { token: p.token, note: note }).then(function (done) {
      entry.state = "done";
      CHAT.log.push({ role: "assistant", text: done.answer, done: true });
      renderAssistant();
      if (CAMP.list) refreshCampaigns(done.campaign_id);
    }, function (err) {
      entry.state = "open";
      CHAT.log.push({ role: "assistant", text: errorText(err), error: true });
      renderAssistant();
      if (err && err.status === 401) onApiError(err);
    });
  }

  function openCampaignFromChat(id) {
    showPane("campaigns");
    selectCampaign(id);
  }

  // ---------------------------------------------------------------------------------------------- render
  function renderAssistant() {
    var L = A(), log = $("ask-log");
    $("ask-title").textContent = L.title;
    $("ask-input").placeholder = L.placeholder;
    $("ask-send").textContent = L.send;
    $("ask-send").disabled = CHAT.busy;
    var ex = $("ask-examples");
    clear(ex);
    L.examples.forEach(function (text) {
      var b = el("button", "ask-example", text);
      b.type = "button";
      b.setAttribute("data-testid", "ask-example");
      b.addEventListener("click", function () { ask(text); });
      ex.appendChild(b);
    });
    clear(log);
    if (!CHAT.log.length) {
      var intro = el("li", "ask-msg ask-intro");
      intro.appendChild(el("div", "ask-bubble", L.intro));
      log.appendChild(intro);
    }
    CHAT.log.forEach(function (entry) { log.appendChild(renderEntry(entry)); });
    if (CHAT.busy) {
      var wait = el("li", "ask-msg");
      wait.setAttribute("data-role", "assistant");
      wait.setAttribute("data-testid", "ask-thinking");
      var bubble = el("div", "ask-bubble muted");
      var dots = bubble.appendChild(el("span", "dots"));
      for (var i = 0; i < 3; i++) dots.appendChild(el("i"));
      bubble.appendChild(document.createTextNode(" " + L.thinking));
      wait.appendChild(bubble);
      log.appendChild(wait);
    }
    log.scrollTop = log.scrollHeight;
  }

  function renderEntry(entry) {
    var li = el("li", "ask-msg");
    li.setAttribute("data-role", entry.role);
    li.setAttribute("data-testid", entry.role === "user" ? "ask-user" : "ask-answer");
    if (entry.error) li.setAttribute("data-error", "true");
    li.appendChild(el("div", "ask-who muted", entry.role === "user" ? A().you : A().assistant));
    var bubble = el("div", "ask-bubble", entry.text);
    li.appendChild(bubble);
    var data = entry.data;
    if (data) {
      data.cards.forEach(function (card) { li.appendChild(renderCard(card, entry)); });
      if (data.proposal) li.appendChild(renderProposal(entry));
    }
    return li;
  }

  function renderCard(card, entry) {
    var box = el("div", "ask-card");
    box.setAttribute("data-testid", "ask-card");
    box.setAttribute("data-type", card.type);
    if (card.type === "copy") {
      box.appendChild(copyBlocks(card.copy));
    } else if (card.type === "readout") {
      var r = card.readout, R = C().readout, tot = r.total;
      var grid = el("div", "ask-kpis");
      [[R.shown, tot.shown], [R.claimed, tot.claimed], [R.redeemed, tot.redeemed],
        [R.budget, r.budget.used === null ? "¥" + money(r.budget.spent) : pct(r.budget.used)]].forEach(function (x) {
        var cell = el("div", "ask-kpi");
        cell.appendChild(el("b", null, String(x[1])));
        cell.appendChild(el("span", "muted", x[0]));
        grid.appendChild(cell);
      });
      box.appendChild(grid);
      var open = el("button", "link", A().open + " →");
      open.type = "button";
      open.setAttribute("data-testid", "ask-open");
      open.addEventListener("click", function () { openCampaignFromChat(r.campaign_id); });
      box.appendChild(open);
    } else if (card.type === "campaigns") {
      var list = el("div", "ask-choices");
      card.campaigns.forEach(function (c) {
        var b = el("button", "ask-choice");
        b.type = "button";
        b.setAttribute("data-testid", "ask-choice");
        b.setAttribute("data-id", c.id);
        b.appendChild(el("span", null, S.lang === "zh" ? c.name_zh : c.name_en));
        b.appendChild(chip(C().status[c.status] || c.status, "camp-status", { "data-status": c.status }));
        b.addEventListener("click", function () {
          if (card.choose) ask(entry.asked, c.id);
          else openCampaignFromChat(c.id);
        });
        list.appendChild(b);
      });
      box.appendChild(list);
    } else if (card.type === "experiments") {
      box.appendChild(experimentsTable(card.experiments));
    }
    return box;
  }

  function renderProposal(entry) {
    var p = entry.data.proposal, L = A(), box = el("div", "ask-proposal");
    box.setAttribute("data-testid", "ask-proposal");
    box.setAttribute("data-state", entry.state);
    var head = el("div", "proposal-head");
    head.appendChild(el("b", null, C().actions[p.action] + " · " + (S.lang === "zh" ? p.name_zh : p.name_en)));
    head.appendChild(el("span", "muted", L.change(C().status[p.from_status], C().status[p.to_status])));
    box.appendChild(head);
    if (entry.state === "done" || entry.state === "cancelled") return box;
    var lab = el("label", "proposal-note");
    lab.appendChild(el("span", "muted", L.confirmNote));
    var note = el("input");
    note.value = p.note;
    note.maxLength = 500;
    note.setAttribute("data-testid", "ask-proposal-note");
    lab.appendChild(note);
    box.appendChild(lab);
    var row = el("div", "proposal-actions");
    var cancel = el("button", null, L.cancel);
    cancel.type = "button";
    cancel.setAttribute("data-testid", "ask-cancel");
    cancel.addEventListener("click", function () {
      entry.state = "cancelled";
      CHAT.log.push({ role: "assistant", text: L.cancelled });
      renderAssistant();
    });
    var go = el("button", p.action === "end" ? "primary danger" : "primary", L.confirm[p.action]);
    go.type = "button";
    go.disabled = entry.state === "sending";
    go.setAttribute("data-testid", "ask-confirm");
    go.addEventListener("click", function () { confirmProposal(entry, note.value.trim()); });
    row.appendChild(el("span", "muted small", L.expires(fmtTime(p.expires_at))));
    row.appendChild(el("span", "spacer"));
    row.appendChild(cancel);
    row.appendChild(go);
    box.appendChild(row);
    return box;
  }

  function bindAssistant() {
    $("ask-form").addEventListener("submit", function (e) {
      e.preventDefault();
      var input = $("ask-input"), text = input.value;
      if (!text.trim() || CHAT.busy) return;
      input.value = "";
      ask(text);
    });
    $("ask-input").addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
        e.preventDefault();
        $("ask-form").requestSubmit();
      }
    });
  }
