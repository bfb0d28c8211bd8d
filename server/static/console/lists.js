  // /static/console.js, part lists.js: the queue and live-conversation lists.
  // Runs inside the script's one IIFE, like every part; parts and order: server/api/assets.py.
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
