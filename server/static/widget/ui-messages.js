  // /widget.js, part ui-messages.js: UI: the message log — messages ordered by seq, bot replies, handoff, CSAT.
  // Runs inside the script's one IIFE, like every part; parts and order: server/api/assets.py.
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
    for (var k = 0; k < cards.length; k++) {
      var held = cards[k];
      if (held && held.type === "coupon" && held.status === "held" && held.campaign_id) this.couponClaimed(held);
    }
    this.claimsSettled();
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
