/*
 * Kefu demo store page (/) — vanilla JS, no dependencies, no build step. The chat itself is the widget
 * (/widget.js), driven through window.Kefu; this script only fills the page: demo customers, their orders,
 * example questions, and the page language.
 *
 * Served as one file, /static/demo.js, joined from parts in server/static/demo/ and shared/ by
 * server/api/assets.py: this part opens the script's one IIFE, shared/_end.js closes it, and every part in
 * between runs inside it. Safety: text goes in with textContent, never innerHTML.
 */
(function () {
  "use strict";
