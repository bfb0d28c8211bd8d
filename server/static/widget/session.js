  // /widget.js, part session.js: Session: one conversation — start or restore, the socket and its reconnects, REST mode.
  // Runs inside the script's one IIFE, like every part; parts and order: server/api/assets.py.
  function Session(widget, cfg) {
    this.widget = widget;
    this.ui = widget.ui;
    this.server = cfg.server;
    this.customerId = cfg.customerId || null;
    this.customerSig = cfg.customerSig || null; // the store's HMAC of the id: without it, anonymous
    this.language = cfg.language || null;
    this.key = "kefu:" + this.server + ":" + (this.customerId || "-") + ":" + (this.language || "-");
    this.id = null;
    this.token = null;
    this.lastSeq = 0;
    this.seen = new Set(); // seqs already rendered/applied: a frame is never shown twice
    this.byClientId = new Map(); // client_msg_id -> optimistic message element
    this.unsentWs = new Map(); // client_msg_id -> {text, tries}: sent on the socket, not yet echoed
    this.outbox = []; // messages typed before any transport was ready
    this.ws = null;
    this.wsReady = false;
    this.wsEverOpened = false;
    this.attempt = 0;
    this.reconnectTimer = null;
    this.pollTimer = null;
    this.restMode = false;
    this.dead = false; // token rejected: stop reconnecting
    this.disposed = false;
    this.pendingCsat = null;
    var self = this;
    this.ready = this.start();
    this.ready.catch(function (e) {
      if (self.disposed) return;
      var t = self.ui.t;
      self.ui.setConnection("offline");
      self.ui.addSystem(e && e.status === 0 ? t.errors.network : t.startFailed, "error");
    });
  }

  Session.prototype.start = function () {
    var self = this;
    this.ui.setConnection("connecting");
    var stored = storageGet(this.key);
    var restore = stored && stored.id && stored.token ? this.restore(stored) : Promise.reject(null);
    return restore.catch(function () {
      if (self.disposed) throw new Error("disposed");
      return api(self.server, "POST", "/api/conversations", {
        channel: "web",
        customer_id: self.customerId,
        customer_sig: self.customerSig,
        language: self.language,
      }).then(function (data) {
        if (self.disposed) throw new Error("disposed");
        self.id = data.conversation_id;
        self.token = data.token;
        storageSet(self.key, { id: self.id, token: self.token });
      });
    }).then(function () {
      if (self.disposed) return;
      emit("kefu:conversation", { conversationId: self.id, customerId: self.customerId, language: self.language });
      self.connect();
    });
  };

  /** Reload within a tab: reuse the stored conversation and replay its history. */
  Session.prototype.restore = function (stored) {
    var self = this;
    return api(this.server, "GET", "/api/conversations/" + encodeURIComponent(stored.id) + "/events?after=0",
      undefined, stored.token).then(function (data) {
      if (self.disposed) throw new Error("disposed");
      self.id = stored.id;
      self.token = stored.token;
      self.applyEvents(data && data.events);
    }, function (e) {
      storageSet(self.key, null);
      throw e;
    });
  };

  Session.prototype.dispose = function () {
    this.disposed = true;
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.outboxTimer);
    clearInterval(this.pollTimer);
    if (this.ws) {
      try { this.ws.close(1000, "new conversation"); } catch (_) { /* ignore */ }
    }
    this.ws = null;
  };

  Session.prototype.forget = function () {
    storageSet(this.key, null);
  };

  /** The socket's URL carries no secret: the token goes in the first frame (see connect). */
  Session.prototype.wsUrl = function () {
    var base = this.server.replace(/^http(s?):\/\//i, function (_m, s) { return s ? "wss://" : "ws://"; });
    return base + "/ws/chat/" + encodeURIComponent(this.id);
  };

  Session.prototype.connect = function () {
    if (this.disposed || this.dead || this.ws) return;
    var self = this;
    var opened = false;
    var ws;
    if (typeof WebSocket !== "function") {
      this.enterRestMode();
      return;
    }
    if (!this.wsEverOpened && !this.restMode) this.ui.setConnection("connecting");
    try {
      ws = new WebSocket(this.wsUrl());
    } catch (_) {
      this.enterRestMode();
      return;
    }
    this.ws = ws;
    var openTimeout = setTimeout(function () { if (!opened) ws.close(); }, 6000);
    var stableTimer = null;

    // Open, then authenticate: the first frame is {type: "auth", token}; the server answers "ready" (or an
    // error frame and a 44xx close). Only after "ready" is the socket used, and it resumes from lastSeq.
    ws.onopen = function () {
      if (self.disposed || self.ws !== ws) return;
      try { ws.send(JSON.stringify({ type: "auth", token: self.token })); } catch (_) { ws.close(); }
    };

    var onReady = function () {
      opened = true;
      clearTimeout(openTimeout);
      self.wsReady = true;
      self.wsEverOpened = true;
      // the backoff resets only once a connection has stayed up for a while
      stableTimer = setTimeout(function () { self.attempt = 0; }, 5000);
      self.leaveRestMode();
      self.ui.setConnection("online");
      // Ask for everything after the last seq we have seen (missed while offline or before connect).
      self.wsSend({ type: "resume", after: self.lastSeq });
      // Messages sent on a dropped socket and never echoed: send again (the server dedupes by
      // client_msg_id), but give up after a few tries so one bad message cannot loop forever.
      self.unsentWs.forEach(function (m, clientId) {
        if (m.tries >= 3) {
          self.unsentWs.delete(clientId);
          self.failMessage(clientId, m.text);
          return;
        }
        m.tries += 1;
        self.wsSend({ type: "user_message", text: m.text, client_msg_id: clientId });
      });
      clearTimeout(self.outboxTimer);
      var queued = self.outbox.splice(0);
      queued.forEach(function (m) { self.transmit(m.text, m.clientId).catch(noop); });
      if (self.pendingCsat) {
        self.wsSend({ type: "csat", score: self.pendingCsat });
        self.pendingCsat = null;
      }
    };

    ws.onmessage = function (ev) {
      if (self.disposed || self.ws !== ws) return;
      var frame;
      try { frame = JSON.parse(ev.data); } catch (_) { return; }
      if (!frame || typeof frame !== "object") return;
      if (!opened && frame.type === "ready") onReady();
      else if (!opened && frame.code === "auth_timeout") return; // the close that follows reconnects quietly
      else self.handleFrame(frame);
    };

    ws.onerror = function () { /* onclose follows and decides */ };

    ws.onclose = function (ev) {
      clearTimeout(openTimeout);
      clearTimeout(stableTimer);
      if (self.ws !== ws) return;
      self.ws = null;
      self.wsReady = false;
      if (self.disposed) return;
      // 4400–4499 (the server's 4000 + HTTP status) or 1008: token, origin or conversation rejected;
      // reconnecting would not help. The server's error frame, if any, is already shown. 4408 (the auth
      // frame came too late, e.g. a stalled network) is worth another try.
      if ((ev.code >= 4400 && ev.code < 4500 && ev.code !== 4408) || ev.code === 1008) {
        self.dead = true;
        self.ui.setConnection("offline");
        if (!self.sawErrorFrame) self.ui.addSystem(self.ui.t.expired, "error");
        self.forget();
        return;
      }
      if (!opened && !self.wsEverOpened) {
        self.enterRestMode(); // socket never worked: talk REST, keep retrying the socket in the background
      } else {
        self.ui.setConnection(self.restMode ? "rest" : "offline");
        if (!opened) self.enterRestMode();
      }
      self.scheduleReconnect();
    };
  };

  Session.prototype.scheduleReconnect = function () {
    if (this.disposed || this.dead) return;
    var self = this;
    var delay = Math.min(15000, 500 * Math.pow(2, this.attempt)) * (0.75 + Math.random() * 0.5);
    this.attempt += 1;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(function () { self.connect(); }, delay);
  };

  Session.prototype.enterRestMode = function () {
    if (this.disposed) return;
    var self = this;
    if (!this.restMode) {
      this.restMode = true;
      this.ui.setConnection("rest");
      // poll for operator messages and anything else the server adds on its own
      this.pollTimer = setInterval(function () {
        if (self.widget.ui.isOpen()) self.fetchEvents().catch(function () { /* next tick */ });
      }, 3000);
    }
    var queued = this.outbox.splice(0);
    queued.forEach(function (m) { self.transmit(m.text, m.clientId).catch(noop); });
    this.unsentWs.forEach(function (m, clientId) {
      self.unsentWs.delete(clientId);
      self.transmit(m.text, clientId).catch(noop);
    });
  };

  /** Mark a message as not sent, with a retry link that sends it again as a new message. */
  Session.prototype.failMessage = function (clientId, text) {
    var node = this.byClientId.get(clientId);
    if (!node) return;
    var self = this;
    this.ui.failUser(node, function () {
      node.remove();
      self.byClientId.delete(clientId);
      self.widget.send(text).catch(noop);
    });
  };

  Session.prototype.leaveRestMode = function () {
    this.restMode = false;
    clearInterval(this.pollTimer);
    this.pollTimer = null;
  };

  Session.prototype.wsSend = function (obj) {
    if (!this.ws || !this.wsReady) return false;
    try {
      this.ws.send(JSON.stringify(obj));
      return true;
    } catch (_) {
      return false;
    }
  };
