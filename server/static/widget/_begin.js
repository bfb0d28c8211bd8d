/*
 * Kefu (客服) embeddable chat widget — vanilla JS (ES2019), no dependencies, no build step.
 *
 * Embed with a script tag (the launcher appears; the panel opens on click):
 *   <script src="https://shop.example/widget.js" data-kefu-server=""
 *           data-customer-id="C00001" data-customer-sig="<hex HMAC-SHA256(secret, id)>" data-language="zh"></script>
 * or drive it from the page:
 *   window.Kefu.open({customerId: "C00001", customerSig: "…", language: "en", server: "https://shop.example"})
 * The store's backend computes the signature with its Kefu secret; without a valid one the chat is anonymous.
 *
 * Other attributes: data-launcher="false" (no launcher button), data-open="true" (open at load).
 * API: Kefu.init(opts) / open(opts) -> Promise / close() / send(text) -> Promise / newConversation() /
 *      info(). DOM events on window: "kefu:conversation", "kefu:message", "kefu:open", "kefu:close".
 *
 * Transport: WebSocket /ws/chat/{id}, first frame {"type": "auth", "token"} (never the token in the URL),
 * then after the server's "ready" a resume with the last seen seq (after every reconnect too),
 * REST POST /api/conversations/{id}/messages + GET …/events when the socket cannot open.
 * Safety: every piece of message text is inserted with textContent / createTextNode, never innerHTML.
 *
 * Served as one file (one classic script, so document.currentScript works) joined from parts in
 * server/static/widget/ and shared/ by server/api/assets.py: this part opens the script's one IIFE,
 * shared/_end.js closes it, and every part in between runs inside it.
 */
(function () {
  "use strict";
  if (window.Kefu && window.Kefu.__kefu) return; // loaded twice: keep the first instance
