  // /widget.js, part ui.js: UI: the launcher and panel, header, composer, connection and typing state.
  // Runs inside the script's one IIFE, like every part; parts and order: server/api/assets.py.
  function UI(widget) {
    this.widget = widget;
    this.lang = "zh";
    this.t = STRINGS.zh;
    this.streamEl = null; // bot message being streamed via bot_token
    this.typingTimer = null;
    this.unread = 0;
    this.handoff = "bot";
  }

  UI.prototype.mount = function (withLauncher) {
    if (this.root) return;
    injectStyles();
    var self = this;
    var root = (this.root = el("div", "kefu-root"));
    root.setAttribute("data-kefu", "");

    if (withLauncher) {
      var launcher = (this.launcher = el("button", "kefu-launcher"));
      launcher.type = "button";
      launcher.setAttribute("data-testid", "kefu-launcher");
      launcher.setAttribute("aria-controls", "kefu-panel");
      launcher.setAttribute("aria-expanded", "false");
      launcher.appendChild(svgIcon(ICONS.chat, 26));
      this.badge = el("span", "kefu-badge-unread");
      this.badge.hidden = true;
      launcher.appendChild(this.badge);
      launcher.addEventListener("click", function () {
        if (self.isOpen()) self.widget.close();
        else self.widget.open().catch(function () { /* shown in the panel */ });
      });
      root.appendChild(launcher);
    }

    var panel = (this.panel = el("div", "kefu-panel"));
    panel.id = "kefu-panel";
    panel.hidden = true;
    panel.setAttribute("role", "dialog");
    panel.setAttribute("data-testid", "kefu-panel");
    panel.addEventListener("keydown", function (e) {
      if (e.key === "Escape") {
        self.widget.close();
        if (self.launcher) self.launcher.focus();
      }
    });

    // header
    var header = el("div", "kefu-header");
    header.appendChild(el("div", "kefu-avatar", "客"));
    var headText = el("div", "kefu-head-text");
    this.titleEl = el("div", "kefu-head-title");
    this.titleEl.id = "kefu-title";
    panel.setAttribute("aria-labelledby", "kefu-title");
    var status = el("div", "kefu-head-status");
    this.dot = el("span", "kefu-dot");
    this.statusEl = el("span", "kefu-status-text");
    this.statusEl.setAttribute("data-testid", "kefu-status");
    status.appendChild(this.dot);
    status.appendChild(this.statusEl);
    headText.appendChild(this.titleEl);
    headText.appendChild(status);
    header.appendChild(headText);
    this.restartBtn = el("button", "kefu-icon-btn");
    this.restartBtn.type = "button";
    this.restartBtn.setAttribute("data-testid", "kefu-restart");
    this.restartBtn.appendChild(svgIcon(ICONS.restart, 18));
    this.restartBtn.addEventListener("click", function () { self.widget.newConversation(); });
    this.closeBtn = el("button", "kefu-icon-btn");
    this.closeBtn.type = "button";
    this.closeBtn.setAttribute("data-testid", "kefu-close");
    this.closeBtn.appendChild(svgIcon(ICONS.close, 18));
    this.closeBtn.addEventListener("click", function () { self.widget.close(); });
    header.appendChild(this.restartBtn);
    header.appendChild(this.closeBtn);
    panel.appendChild(header);

    // handoff banner (current handoff status; the log keeps the history)
    this.handoffEl = el("div", "kefu-handoff");
    this.handoffEl.hidden = true;
    this.handoffEl.setAttribute("data-testid", "kefu-handoff");
    this.handoffEl.setAttribute("role", "status");
    panel.appendChild(this.handoffEl);

    // message log
    this.scroll = el("div", "kefu-scroll");
    this.messages = el("div", "kefu-messages");
    this.messages.setAttribute("data-testid", "kefu-messages");
    this.messages.setAttribute("role", "log");
    this.messages.setAttribute("aria-live", "polite");
    this.messages.setAttribute("aria-relevant", "additions");
    this.typingEl = el("div", "kefu-typing");
    this.typingEl.hidden = true;
    this.typingEl.setAttribute("data-testid", "kefu-typing");
    this.typingEl.setAttribute("aria-hidden", "true");
    for (var i = 0; i < 3; i++) this.typingEl.appendChild(el("span"));
    this.scroll.appendChild(this.messages);
    this.scroll.appendChild(this.typingEl);
    panel.appendChild(this.scroll);

    // quick replies + composer
    this.chips = el("div", "kefu-chips");
    this.chips.setAttribute("data-testid", "kefu-chips");
    panel.appendChild(this.chips);

    var form = (this.form = el("form", "kefu-composer"));
    form.noValidate = true;
    this.inputLabel = el("label", "kefu-sr");
    this.inputLabel.htmlFor = "kefu-input";
    form.appendChild(this.inputLabel);
    var row = el("div", "kefu-input-row");
    var input = (this.input = el("textarea", "kefu-input"));
    input.id = "kefu-input";
    input.rows = 1;
    input.setAttribute("data-testid", "kefu-input");
    input.setAttribute("aria-describedby", "kefu-hint");
    row.appendChild(input);
    var send = (this.sendBtn = el("button", "kefu-send"));
    send.type = "submit";
    send.disabled = true;
    send.setAttribute("data-testid", "kefu-send");
    send.appendChild(svgIcon(ICONS.send, 18));
    row.appendChild(send);
    form.appendChild(row);
    this.hint = el("div", "kefu-hint");
    this.hint.id = "kefu-hint";
    this.hint.hidden = true;
    this.hint.setAttribute("data-testid", "kefu-hint");
    this.hint.setAttribute("aria-live", "polite");
    form.appendChild(this.hint);
    panel.appendChild(form);

    input.addEventListener("input", function () { self.updateComposer(); self.noteTyping(); });
    input.addEventListener("keydown", function (e) {
      // Enter sends; Shift+Enter is a newline; never send while an IME (拼音) is composing.
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
        e.preventDefault();
        self.submit();
      }
    });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      self.submit();
    });

    root.appendChild(panel);
    document.body.appendChild(root);
    this.setLanguage(this.lang);
    this.showEmpty();
  };

  UI.prototype.setLanguage = function (lang) {
    this.lang = resolveLanguage(lang);
    this.t = STRINGS[this.lang];
    if (!this.root) return;
    this.root.setAttribute("lang", this.lang === "zh" ? "zh-CN" : "en");
    this.titleEl.textContent = this.t.title;
    this.inputLabel.textContent = this.t.inputLabel;
    this.input.placeholder = this.t.placeholder;
    this.sendBtn.setAttribute("aria-label", this.t.send);
    this.sendBtn.title = this.t.send;
    this.closeBtn.setAttribute("aria-label", this.t.close);
    this.closeBtn.title = this.t.close;
    this.restartBtn.setAttribute("aria-label", this.t.restart);
    this.restartBtn.title = this.t.restart;
    this.updateLauncher();
    this.updateComposer();
    if (this.emptyEl) this.emptyEl.textContent = this.t.empty;
  };

  UI.prototype.isOpen = function () {
    return !!this.panel && !this.panel.hidden;
  };

  UI.prototype.show = function (open) {
    this.panel.hidden = !open;
    if (open) {
      this.unread = 0;
      this.scrollToEnd();
      var input = this.input;
      setTimeout(function () { input.focus(); }, 0);
    }
    this.updateLauncher();
  };

  UI.prototype.updateLauncher = function () {
    if (!this.launcher) return;
    var open = this.isOpen();
    this.launcher.setAttribute("aria-expanded", open ? "true" : "false");
    this.launcher.setAttribute("aria-label", open ? this.t.launcherClose : this.t.launcherOpen);
    this.launcher.title = open ? this.t.launcherClose : this.t.launcherOpen;
    this.badge.hidden = open || this.unread === 0;
    this.badge.textContent = this.unread > 9 ? "9+" : String(this.unread);
  };

  UI.prototype.setConnection = function (conn) {
    // conn: connecting | online | rest | offline
    if (!this.root) return;
    this.dot.setAttribute("data-conn", conn === "rest" ? "online" : conn);
    var t = this.t;
    var text = {
      connecting: t.statusConnecting,
      offline: t.statusOffline,
      rest: t.statusRest,
      online: this.handoff === "operator" ? t.statusOperator : this.handoff === "queued" ? t.statusQueued : t.statusOnline,
    }[conn];
    this.conn = conn;
    this.statusEl.textContent = text || "";
    this.panel.setAttribute("data-connection", conn);
  };

  UI.prototype.updateComposer = function () {
    if (!this.input) return;
    var text = this.input.value;
    var n = charCount(text);
    var over = n > MAX_LEN;
    this.input.setAttribute("aria-invalid", over ? "true" : "false");
    this.hint.setAttribute("data-over", over ? "true" : "false");
    if (over) {
      this.hint.hidden = false;
      this.hint.textContent = this.t.tooLong(n);
    } else if (n >= MAX_LEN - 200) {
      this.hint.hidden = false;
      this.hint.textContent = this.t.counter(n);
    } else {
      this.hint.hidden = true;
      this.hint.textContent = "";
    }
    this.sendBtn.disabled = over || text.trim() === "";
    // auto-grow up to the CSS max-height
    this.input.style.height = "auto";
    this.input.style.height = Math.min(this.input.scrollHeight + 2, 120) + "px";
  };

  UI.prototype.submit = function () {
    var text = this.input.value;
    if (text.trim() === "" || charCount(text) > MAX_LEN) {
      this.updateComposer();
      return;
    }
    this.input.value = "";
    this.updateComposer();
    this.stopTyping();
    this.widget.send(text).catch(function () { /* failure is shown on the message */ });
  };

  /** While an operator holds the chat, tell them the customer is typing: at most one "on" frame every
   *  3 s, and "off" after 4 s without keystrokes or when the message is sent. The bot is never told. */
  UI.prototype.noteTyping = function () {
    var s = this.widget.session;
    if (!s || this.handoff !== "operator") return;
    var now = Date.now();
    if (now - (this.typingSentAt || 0) > 3000 && s.wsSend({ type: "typing", on: true })) this.typingSentAt = now;
    clearTimeout(this.typingOffTimer);
    var self = this;
    this.typingOffTimer = setTimeout(function () { self.stopTyping(); }, 4000);
  };

  UI.prototype.stopTyping = function () {
    clearTimeout(this.typingOffTimer);
    if (!this.typingSentAt) return;
    this.typingSentAt = 0;
    var s = this.widget.session;
    if (s) s.wsSend({ type: "typing", on: false });
  };

  UI.prototype.reset = function () {
    this.messages.textContent = "";
    this.chips.textContent = "";
    this.streamEl = null;
    this.setTyping("bot", false);
    this.handoff = "bot";
    this.operatorName = "";
    this.handoffEl.hidden = true;
    this.handoffEl.textContent = "";
    this.handoffEl.removeAttribute("data-status");
    this.handoffEl.removeAttribute("data-operator");
    this.unread = 0;
    this.updateLauncher();
    this.showEmpty();
  };

  UI.prototype.showEmpty = function () {
    this.emptyEl = el("div", "kefu-empty", this.t.empty);
    this.emptyEl.setAttribute("data-testid", "kefu-empty");
    this.messages.appendChild(this.emptyEl);
  };

  UI.prototype.scrollToEnd = function () {
    var s = this.scroll;
    if (s) s.scrollTop = s.scrollHeight;
  };
