  // /widget.js, part facade.js: the Widget and window.Kefu, and the script tag's data-* attributes.
  // Runs inside the script's one IIFE, like every part; parts and order: server/api/assets.py.
  function Widget() {
    this.ui = new UI(this);
    this.cfg = { server: null, customerId: null, customerSig: null, language: null, launcher: true };
    this.session = null;
  }

  Widget.prototype.init = function (opts) {
    opts = opts || {};
    if (opts.server !== undefined) this.cfg.server = opts.server;
    if (opts.customerId !== undefined) this.cfg.customerId = opts.customerId || null;
    if (opts.customerSig !== undefined) this.cfg.customerSig = opts.customerSig || null;
    if (opts.language !== undefined) this.cfg.language = opts.language === "zh" || opts.language === "en" ? opts.language : null;
    if (opts.launcher !== undefined) this.cfg.launcher = opts.launcher !== false;
    this.ui.mount(this.cfg.launcher);
    if (!this.session) this.ui.setLanguage(this.cfg.language);
    return this;
  };

  Widget.prototype.sameTarget = function (s) {
    return s && !s.disposed && !s.dead && s.server === normalizeServer(this.cfg.server) &&
      s.customerId === (this.cfg.customerId || null) && s.customerSig === (this.cfg.customerSig || null) &&
      s.language === (this.cfg.language || null);
  };

  /** Open the panel; starts a new conversation when customer/language/server differ from the current one. */
  Widget.prototype.open = function (opts) {
    this.init(opts);
    if (!this.sameTarget(this.session)) this.startSession();
    this.ui.show(true);
    emit("kefu:open", {});
    return this.session.ready;
  };

  Widget.prototype.startSession = function () {
    if (this.session) this.session.dispose();
    this.ui.setLanguage(this.cfg.language);
    this.ui.reset();
    this.session = new Session(this, {
      server: normalizeServer(this.cfg.server),
      customerId: this.cfg.customerId,
      customerSig: this.cfg.customerSig,
      language: this.cfg.language,
    });
    return this.session;
  };

  Widget.prototype.newConversation = function () {
    if (this.session) this.session.forget();
    this.startSession();
    this.ui.show(true);
    return this.session.ready;
  };

  /** A product card's action (`viewed`, `added_to_cart`, …) for `productId`; the host page hears it as the
   *  `kefu:interaction` event (to open its product page or its own cart). */
  Widget.prototype.interact = function (kind, productId) {
    emit("kefu:interaction", { kind: kind, productId: productId });
    if (!this.session) return Promise.reject(new Error("no conversation"));
    return this.session.interact(kind, productId);
  };

  Widget.prototype.close = function () {
    if (!this.ui.panel) return;
    this.ui.show(false);
    emit("kefu:close", {});
  };

  /** Send a customer message (opens the panel/conversation if needed). */
  Widget.prototype.send = function (text) {
    text = String(text == null ? "" : text).trim(); // the server strips too; keeps echoes identical
    if (!text.trim()) return Promise.reject(new Error("empty message"));
    if (charCount(text) > MAX_LEN) return Promise.reject(new Error("message longer than " + MAX_LEN));
    if (!this.sameTarget(this.session) || !this.ui.isOpen()) this.open();
    return this.session.send(text);
  };

  Widget.prototype.info = function () {
    var s = this.session;
    return s ? {
      conversationId: s.id, customerId: s.customerId, language: s.language, lastSeq: s.lastSeq,
      transport: s.wsReady ? "websocket" : s.restMode ? "rest" : "connecting",
    } : null;
  };

  var widget = new Widget();
  window.Kefu = {
    __kefu: true,
    init: function (opts) { widget.init(opts); return window.Kefu; },
    open: function (opts) { return widget.open(opts); },
    close: function () { widget.close(); },
    send: function (text) { return widget.send(text); },
    newConversation: function () { return widget.newConversation(); },
    info: function () { return widget.info(); },
    MAX_LENGTH: MAX_LEN,
  };

  // Script-tag embedding: read data-* attributes and mount the launcher.
  function autoInit() {
    if (!script) return;
    var d = script.dataset || {};
    var opts = { launcher: d.launcher !== "false" };
    // Only attributes that are present: never undo what the page already set via Kefu.init().
    if (d.kefuServer) opts.server = d.kefuServer;
    if (d.customerId) opts.customerId = d.customerId;
    if (d.customerSig) opts.customerSig = d.customerSig;
    if (d.language) opts.language = d.language;
    widget.init(opts);
    if (d.open === "true") widget.open();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", autoInit);
  else autoInit();
