  // /widget.js, part ui-messages.js: UI: the message log — messages ordered by seq, bot replies, handoff, CSAT, cards.
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

  /** Cards: render whatever known fields are present; never fail on missing/extra keys. */
  UI.prototype.renderCard = function (card) {
    if (!card || typeof card !== "object") return null;
    var t = this.t;
    var type = String(card.type || "generic");
    var node = el("div", "kefu-card kefu-card-" + type.replace(/[^a-z0-9_-]/gi, ""));
    node.setAttribute("data-card-type", type);
    if (card.id != null) node.setAttribute("data-id", String(card.id));
    var thumb = el("div", "kefu-card-thumb");
    var body = el("div", "kefu-card-body");
    var title = card.title || card.name || (type === "order" ? t.order + " " + (card.id || "") : card.id) || "";
    body.appendChild(el("div", "kefu-card-title", title));

    if (type === "product") {
      var label = String(card.category || title || "?");
      thumb.textContent = Array.from(label)[0] || "?";
      thumb.style.background = pickColor(label);
      var sub = [card.category, card.brand, card.id].filter(Boolean).join(" · ");
      if (sub) body.appendChild(el("div", "kefu-card-sub", sub));
      var row = el("div", "kefu-card-row");
      var price = formatPrice(card.price, card.currency);
      if (price) row.appendChild(el("span", "kefu-price", price));
      if (card.in_stock === true || card.in_stock === false) {
        var pill = el("span", "kefu-pill", card.in_stock ? t.inStock : t.outOfStock);
        if (!card.in_stock) pill.setAttribute("data-tone", "bad");
        row.appendChild(pill);
      }
      // a cross-sell: the one product offered with what the customer just chose
      if (card.offer === true) row.appendChild(el("span", "kefu-pill kefu-pill-offer", t.goesWith));
      if (row.childNodes.length) body.appendChild(row);
      if (card.id != null && card.id !== "") body.appendChild(this.cardActions(card));
    } else if (type === "order") {
      thumb.appendChild(svgIcon(ICONS.box, 22));
      thumb.style.background = "#e0e7ff";
      thumb.style.color = "#4338ca";
      var orow = el("div", "kefu-card-row");
      if (card.id && title.indexOf(card.id) === -1) orow.appendChild(el("span", "kefu-mono", card.id));
      // the most specific status we have: server text, then shipment status, then order status
      var statusText = card.status_text || SHIPMENT_STATUS[this.lang][card.shipment_status] ||
        ORDER_STATUS[this.lang][card.status] || card.status;
      if (statusText) {
        var spill = el("span", "kefu-pill", statusText);
        spill.setAttribute("data-status", String(card.status || ""));
        spill.setAttribute("data-tone", card.status === "delivered" ? "" : card.status === "cancelled" ? "bad" :
          card.status === "shipped" ? "info" : "warn");
        orow.appendChild(spill);
      }
      var total = formatPrice(card.total, card.currency);
      if (total) orow.appendChild(el("span", "kefu-card-sub", total));
      if (orow.childNodes.length) body.appendChild(orow);
      if (typeof card.items === "number") orow.appendChild(el("span", "kefu-card-sub", t.items(card.items)));
      if (card.placed_at) body.appendChild(el("div", "kefu-card-sub", t.placedAt + formatDate(card.placed_at, this.lang)));
      if (card.latest_event) {
        var ev = card.latest_event;
        var evText = typeof ev === "string" ? ev : [ev.at ? formatDate(ev.at, this.lang) : "", ev.description || ev.text || ev.status || ""]
          .filter(Boolean).join(" ");
        if (evText) body.appendChild(el("div", "kefu-card-event", evText));
      }
    } else if (type === "coupon") {
      thumb.textContent = this.lang === "zh" ? "券" : "%";
      thumb.style.background = "#f59e0b";
      var crow = el("div", "kefu-card-row");
      var amount = card.discount_text || card.discount || card.amount || card.value;
      if (amount) crow.appendChild(el("span", "kefu-price", amount));
      if (card.code) crow.appendChild(el("span", "kefu-mono", t.code + card.code));
      if (crow.childNodes.length) body.appendChild(crow);
      if (card.description) body.appendChild(el("div", "kefu-card-sub", card.description));
      if (card.min_spend) body.appendChild(el("div", "kefu-card-sub", t.minSpend(formatPrice(card.min_spend, card.currency))));
      var until = card.expires_at || card.valid_until;
      if (until) body.appendChild(el("div", "kefu-card-sub", t.validUntil + formatDate(until, this.lang)));
    } else {
      thumb.textContent = "•";
      thumb.style.background = "#94a3b8";
      if (card.description) body.appendChild(el("div", "kefu-card-sub", card.description));
      var gprice = formatPrice(card.price, card.currency);
      if (gprice) body.appendChild(el("div", "kefu-price", gprice));
    }
    node.appendChild(thumb);
    node.appendChild(body);
    return node;
  };

  /** A product card's actions: "view details" and (in stock) "add to cart". Each sends an `interaction` (socket,
   *  or REST when the socket is down), which changes the next recommendation; the card confirms it. */
  UI.prototype.cardActions = function (card) {
    var t = this.t;
    var widget = this.widget;
    var id = String(card.id);
    var bar = el("div", "kefu-card-actions");
    var button = function (kind, label) {
      var b = el("button", "kefu-card-action", label);
      b.type = "button";
      b.setAttribute("data-kind", kind);
      b.addEventListener("click", function () {
        b.disabled = true;
        var done = function () { b.disabled = false; };
        widget.interact(kind, id).then(done, done);
      });
      bar.appendChild(b);
    };
    button("viewed", t.viewDetails);
    if (card.in_stock !== false) button("added_to_cart", t.addToCart);
    var note = el("span", "kefu-card-note");
    note.setAttribute("role", "status");
    bar.appendChild(note);
    return bar;
  };

  /** The server recorded an interaction: a short confirmation on the newest card of that product. */
  UI.prototype.interactionDone = function (kind, productId) {
    if (!this.messages) return;
    var text = kind === "added_to_cart" ? this.t.addedToCart : kind === "viewed" ? this.t.viewed : this.t.noted;
    var cards = this.messages.querySelectorAll('.kefu-card[data-card-type="product"]');
    for (var i = cards.length - 1; i >= 0; i--) {
      if (cards[i].getAttribute("data-id") === String(productId)) {
        var note = cards[i].querySelector(".kefu-card-note");
        if (note) note.textContent = text;
        return;
      }
    }
  };
