  // Shared part of /widget.js, /static/console.js and /static/demo.js: DOM helpers.
  // Runs inside each script's one IIFE, like every part; parts and order: server/api/assets.py.
  // Text goes in with textContent only, never innerHTML: customer text stays inert.
  var SVG_NS = "http://www.w3.org/2000/svg";

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function svgEl(tag, attrs, text) {
    var node = document.createElementNS(SVG_NS, tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  /** A decorative 24×24 line icon from path data; CSS sizes it unless `size` is given. */
  function svgIcon(paths, size) {
    var svg = svgEl("svg", size ? { viewBox: "0 0 24 24", width: size, height: size } : { viewBox: "0 0 24 24" });
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    paths.forEach(function (d) { svg.appendChild(svgEl("path", { d: d })); });
    return svg;
  }

  /** The same colour for the same label on every page (avatars, product thumbnails). */
  function pickColor(label) {
    var colors = ["#6366f1", "#0ea5e9", "#10b981", "#f59e0b", "#ef4444", "#8b5cf6", "#14b8a6", "#ec4899"];
    var h = 0;
    for (var i = 0; i < label.length; i++) h = (h * 31 + label.charCodeAt(i)) >>> 0;
    return colors[h % colors.length];
  }

  /** "zh" when the browser prefers Chinese, else "en". */
  function browserLanguage() {
    return (navigator.language || "").toLowerCase().indexOf("zh") === 0 ? "zh" : "en";
  }

  /** Order status labels, the same in the widget's cards, the console and the demo page. */
  var ORDER_STATUS = {
    zh: { pending_payment: "待付款", paid: "待发货", shipped: "已发货", delivered: "已签收", cancelled: "已取消" },
    en: { pending_payment: "Awaiting payment", paid: "Paid", shipped: "Shipped", delivered: "Delivered", cancelled: "Cancelled" },
  };
