  // /widget.js, part session-frames.js: Session: sending (optimistic, socket or REST) and handling frames, deduped by seq.
  // Runs inside the script's one IIFE, like every part; parts and order: server/api/assets.py.
  /** Show the message now (optimistic), then deliver it. */
  Session.prototype.send = function (text) {
    var clientId = uuid();
    var node = this.ui.addUser(text, clientId);
    this.byClientId.set(clientId, node);
    if (this.ui.handoff === "bot") this.ui.setTyping("bot", true);
    emit("kefu:message", { role: "user", text: text, clientMsgId: clientId });
    var self = this;
    return this.ready.then(function () {
      if (self.disposed) return;
      if (self.wsReady || self.restMode || self.dead) return self.transmit(text, clientId);
      // Socket (re)connecting: hold the message briefly, then fall back to REST if it is still down.
      self.outbox.push({ text: text, clientId: clientId });
      clearTimeout(self.outboxTimer);
      self.outboxTimer = setTimeout(function () {
        if (self.disposed || self.wsReady) return;
        self.outbox.splice(0).forEach(function (m) { self.postRest(m.text, m.clientId).catch(noop); });
      }, 4000);
    }, function (e) {
      self.ui.failUser(node, null);
      throw e;
    });
  };

  Session.prototype.transmit = function (text, clientId) {
    if (this.wsReady && this.wsSend({ type: "user_message", text: text, client_msg_id: clientId })) {
      this.unsentWs.set(clientId, { text: text, tries: 0 });
      return Promise.resolve();
    }
    return this.postRest(text, clientId);
  };

  /** REST fallback: POST the message, then read the stored events to get seqs (keeps dedupe exact). */
  Session.prototype.postRest = function (text, clientId) {
    var self = this;
    var node = this.byClientId.get(clientId);
    var before = this.lastSeq;
    return api(this.server, "POST", "/api/conversations/" + encodeURIComponent(this.id) + "/messages",
      { text: text, client_msg_id: clientId }, this.token).then(function (data) {
      if (self.disposed) return;
      var reply = data && !data.duplicate && data.reply;
      // An empty reply means the bot stayed silent (an operator holds the conversation).
      if (reply && !reply.text && !(reply.cards && reply.cards.length)) reply = null;
      var settle = function () {
        if (node && node.getAttribute("data-pending") === "true") self.ui.confirmUser(node);
        if (self.ui.handoff === "bot") self.ui.setTyping("bot", false);
      };
      return self.fetchEvents().then(function () {
        // The events should hold our message and the reply; if not, show the reply as returned.
        settle();
        if (self.lastSeq === before && reply) self.renderBot(reply, data.state);
      }, function () {
        settle();
        if (reply) self.renderBot(reply, data.state);
      });
    }, function (e) {
      if (self.disposed) return;
      self.failMessage(clientId, text);
      self.ui.addError(e.code, e.message);
      throw e;
    });
  };

  Session.prototype.fetchEvents = function () {
    var self = this;
    return api(this.server, "GET", "/api/conversations/" + encodeURIComponent(this.id) + "/events?after=" + this.lastSeq,
      undefined, this.token).then(function (data) {
      if (!self.disposed) self.applyEvents(data && data.events);
    });
  };

  Session.prototype.applyEvents = function (events) {
    if (!Array.isArray(events)) return;
    var self = this;
    events.slice().sort(function (a, b) { return Number(a.seq) - Number(b.seq); })
      .forEach(function (evt) { self.handleFrame(eventToFrame(evt)); });
  };

  /** Returns true when this seq was already handled (and records it otherwise). */
  Session.prototype.dupe = function (seq) {
    if (!isSeq(seq)) return false;
    var n = Number(seq);
    if (this.seen.has(n)) return true;
    this.seen.add(n);
    if (n > this.lastSeq) this.lastSeq = n;
    return false;
  };

  Session.prototype.renderBot = function (f, state) {
    this.ui.addBot(f);
    var st = state || f.state;
    if (st && st.handoff) this.ui.setHandoff(st.handoff);
    emit("kefu:message", { role: "bot", text: f.text, seq: f.seq });
  };

  Session.prototype.handleFrame = function (f) {
    var ui = this.ui;
    switch (f.type) {
      case "bot_token":
        ui.streamDelta(f.delta);
        break;
      case "bot_message":
        if (this.dupe(f.seq)) return;
        this.settlePending();
        this.renderBot(f, f.state);
        break;
      case "user_message":
        if (this.dupe(f.seq)) return;
        this.reconcileUser(f);
        break;
      case "operator_message":
        if (this.dupe(f.seq)) return;
        this.settlePending();
        ui.addOperator(f);
        emit("kefu:message", { role: "operator", text: f.text, seq: f.seq, operator: f.operator });
        break;
      case "typing":
        ui.setTyping(f.who, !!f.on);
        break;
      case "handoff":
        if (this.dupe(f.seq)) return;
        ui.setHandoff(f.status, f.operator, f.seq);
        break;
      case "csat_request":
        ui.showCsat(this.sendCsat.bind(this));
        break;
      case "interaction_recorded":
        if (isSeq(f.seq)) this.dupe(f.seq);
        ui.interactionDone(f.kind, f.product_id);
        break;
      case "csat_recorded":
        if (this.dupe(f.seq)) return;
        ui.csatDone(f.score);
        break;
      case "error":
        this.onErrorFrame(f);
        break;
      case "_seen":
        this.dupe(f.seq);
        break;
      default:
        // Stored-event shape ({type: "bot_uttered", payload}) on the socket: treat like a frame.
        if (f.payload && typeof f.payload === "object" && eventToFrame(f).type !== "_seen") {
          this.handleFrame(eventToFrame(f));
        } else if (isSeq(f.seq)) {
          this.dupe(f.seq);
        }
    }
  };

  /** Echo of a customer message: give the optimistic bubble its seq, or show it (another tab, history). */
  Session.prototype.reconcileUser = function (f) {
    var node = f.client_msg_id ? this.byClientId.get(f.client_msg_id) : null;
    if (!node) {
      // No id (REST-posted or replayed): match the oldest unsequenced bubble with the same text.
      var cands = this.ui.messages.querySelectorAll('.kefu-msg[data-role="user"]:not([data-seq])');
      for (var i = 0; i < cands.length; i++) {
        var txt = cands[i].querySelector(".kefu-text");
        if (txt && txt.textContent.trim() === String(f.text == null ? "" : f.text).trim()) {
          node = cands[i];
          break;
        }
      }
    }
    if (f.client_msg_id) this.unsentWs.delete(f.client_msg_id);
    if (node) {
      if (!node.hasAttribute("data-seq")) this.ui.confirmUser(node, f.seq);
      if (node.getAttribute("data-client-msg-id")) this.unsentWs.delete(node.getAttribute("data-client-msg-id"));
    } else {
      node = this.ui.addUser(f.text == null ? "" : f.text, f.client_msg_id, f.seq);
      if (f.client_msg_id) this.byClientId.set(f.client_msg_id, node);
    }
  };

  /** A reply arrived: any messages still "sending" evidently reached the server. */
  Session.prototype.settlePending = function () {
    var self = this;
    this.ui.messages.querySelectorAll('.kefu-msg[data-role="user"][data-pending="true"]').forEach(function (node) {
      self.ui.confirmUser(node);
      var cid = node.getAttribute("data-client-msg-id");
      if (cid) self.unsentWs.delete(cid);
    });
  };

  Session.prototype.onErrorFrame = function (f) {
    this.sawErrorFrame = true;
    var node = f.client_msg_id ? this.byClientId.get(f.client_msg_id) : null;
    if (!node && (f.code === "invalid_message" || f.code === "too_large" || f.code === "invalid_frame")) {
      // refers to the message just sent: the newest one still waiting for its echo
      var waiting = this.ui.messages.querySelectorAll('.kefu-msg[data-role="user"][data-pending="true"]');
      node = waiting.length ? waiting[waiting.length - 1] : null;
      if (node) f = { code: f.code, message: f.message, client_msg_id: node.getAttribute("data-client-msg-id") };
    }
    if (node) {
      this.unsentWs.delete(f.client_msg_id);
      this.ui.failUser(node, null);
    }
    this.ui.addError(f.code, f.message);
  };

  /** What the customer did with a product card: an `interaction` frame (confirmed by `interaction_recorded`),
   *  or POST /interactions when the socket is down. */
  Session.prototype.interact = function (kind, productId) {
    var self = this;
    var body = { kind: kind, product_id: productId };
    return this.ready.then(function () {
      if (self.disposed) return;
      if (self.wsSend({ type: "interaction", kind: kind, product_id: productId })) return;
      return api(self.server, "POST", "/api/conversations/" + encodeURIComponent(self.id) + "/interactions", body,
        self.token).then(function (data) {
        if (!self.disposed && data) self.ui.interactionDone(data.kind, data.product_id);
      }, function (e) {
        if (!self.disposed) self.ui.addError(e && e.code, e && e.message);
        throw e;
      });
    });
  };

  Session.prototype.sendCsat = function (score) {
    var self = this;
    this.ready.then(function () {
      if (!self.wsSend({ type: "csat", score: score })) self.pendingCsat = score; // sent on reconnect
    });
  };
