/*
 * Kefu (客服) operator console — vanilla JS, no dependencies, no build step.
 *
 * Talks to /api/operator/* (session cookie, set by POST /api/operator/login) and WS /ws/operator
 * (same cookie). Safety: every piece of customer, bot and operator text is inserted with textContent
 * or createTextNode, never innerHTML; the page's CSP forbids inline and foreign scripts besides.
 *
 * Served as one file, /static/console.js, joined from parts in server/static/console/ and shared/ by
 * server/api/assets.py: this part opens the script's one IIFE, shared/_end.js closes it, and every part
 * in between runs inside it.
 */
(function () {
  "use strict";
