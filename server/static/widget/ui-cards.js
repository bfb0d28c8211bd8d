  // /widget.js, part ui-cards.js: UI: cards in bot messages — products (view, add to cart), orders, coupons (claim).
  // Runs inside the script's one IIFE, like every part; parts and order: server/api/assets.py.
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
      if (card.status) node.setAttribute("data-status", String(card.status));
      if (card.campaign_id) node.setAttribute("data-campaign-id", String(card.campaign_id));
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
      if (card.status === "claimable" && typeof card.claim_text === "string" && card.claim_text.trim()) {
        body.appendChild(this.claimAction(card));
      }
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

  /** A claimable coupon's "领取 / Claim" action: it says the card's `claim_text` for the customer, as a message of
   *  theirs (the claim is read from their words and every rule checked by the server, like a typed "领取…"). */
  UI.prototype.claimAction = function (card) {
    var widget = this.widget;
    var bar = el("div", "kefu-card-actions");
    var b = el("button", "kefu-card-action kefu-claim", this.t.claim);
    b.type = "button";
    b.setAttribute("data-kind", "claim");
    b.addEventListener("click", function () {
      b.disabled = true;
      b.setAttribute("data-pending", "true");
      widget.send(String(card.claim_text)).catch(function () {
        b.disabled = false;
        b.removeAttribute("data-pending");
      });
    });
    bar.appendChild(b);
    var note = el("span", "kefu-card-note");
    note.setAttribute("role", "status");
    bar.appendChild(note);
    return bar;
  };

  /** A coupon of this campaign is now the customer's: every claimable card of the campaign shows it (claimed, the
   *  code) instead of its claim action. */
  UI.prototype.couponClaimed = function (held) {
    if (!this.messages) return;
    var t = this.t;
    var cards = this.messages.querySelectorAll('.kefu-card[data-card-type="coupon"][data-status="claimable"]');
    for (var i = 0; i < cards.length; i++) {
      if (cards[i].getAttribute("data-campaign-id") !== String(held.campaign_id)) continue;
      cards[i].setAttribute("data-status", "claimed");
      if (held.code) cards[i].setAttribute("data-code", String(held.code));
      var bar = cards[i].querySelector(".kefu-card-actions");
      if (bar) bar.remove();
      var body = cards[i].querySelector(".kefu-card-body");
      var row = el("div", "kefu-card-row kefu-claimed");
      row.appendChild(el("span", "kefu-card-note", t.claimed));
      if (held.code) row.appendChild(el("span", "kefu-mono", t.code + held.code));
      if (held.expires_at) row.appendChild(el("span", "kefu-card-sub", t.validUntil + formatDate(held.expires_at, this.lang)));
      if (body) body.appendChild(row);
    }
  };

  /** The bot answered: a claim action still waiting (refused, say, with the reason in the reply) may be used again. */
  UI.prototype.claimsSettled = function () {
    if (!this.messages) return;
    var pending = this.messages.querySelectorAll('.kefu-card[data-status="claimable"] .kefu-claim[data-pending]');
    for (var i = 0; i < pending.length; i++) {
      pending[i].disabled = false;
      pending[i].removeAttribute("data-pending");
    }
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
