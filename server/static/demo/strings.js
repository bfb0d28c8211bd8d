  // /static/demo.js, part strings.js: page strings and example questions.
  // Runs inside the script's one IIFE, like every part; parts and order: server/api/assets.py.
  // ---- page strings (the chat widget has its own) ----
  var T = {
    zh: {
      title: "Kefu 客服 · 演示商店",
      brand: "Kefu 商城", brandSub: "智能客服演示", uiLanguage: "界面语言",
      heroTitle: "和我们的智能客服聊一聊",
      heroText: "选择一位演示顾客，然后像顾客一样提问：查询订单物流、了解退换货政策、寻找商品、申请退货，或转接人工客服。",
      feat1: "订单与物流", feat2: "政策问答（附来源）", feat3: "商品推荐", feat4: "退货申请", feat5: "转人工客服",
      pickTitle: "选择演示顾客", pickSub: "每位顾客都有真实的演示订单，可以直接询问。",
      detailTitle: "开始对话", detailSub: "选择对话语言，点击示例问题或自己输入。",
      ordersTitle: "最近订单", noOrders: "暂无订单",
      chatLanguage: "对话语言", startChat: "开始对话",
      examplesTitle: "示例问题（点击即可发送）",
      loading: "正在加载演示顾客…", loadFailed: "无法加载演示顾客：", retry: "重试", noCustomers: "没有可用的演示顾客。",
      ask: "问一问", orders: function (n) { return n + " 笔订单"; },
      langName: { zh: "中文", en: "English" },
      kinds: { order: "查物流", policy: "政策", product: "找商品", return: "退货", human: "人工" },
      conv: function (id) { return "当前会话：" + id; },
      callStart: "打电话", callEnd: "挂断", callConnecting: "正在接通…", callLive: "通话中，请说话",
      callEnded: "通话已结束", callNoMic: "无法使用麦克风：", callWho: { caller: "您", bot: "客服", operator: "人工客服" },
      footer: "Kefu 演示 · 页面与聊天组件均由 Kefu 服务本身提供，不依赖任何外部 CDN。",
    },
    en: {
      title: "Kefu · Demo store",
      brand: "Kefu Store", brandSub: "Customer service demo", uiLanguage: "Page language",
      heroTitle: "Chat with our customer-service assistant",
      heroText: "Pick a demo customer, then ask what a customer would: track an order, check the return policy, find a product, request a return, or talk to a person.",
      feat1: "Orders & tracking", feat2: "Policy answers with sources", feat3: "Product search", feat4: "Returns", feat5: "Human handoff",
      pickTitle: "Pick a demo customer", pickSub: "Every customer has demo orders you can ask about.",
      detailTitle: "Start a conversation", detailSub: "Choose the chat language, then click an example or type your own.",
      ordersTitle: "Recent orders", noOrders: "No orders yet",
      chatLanguage: "Chat language", startChat: "Start chat",
      examplesTitle: "Example questions (click to send)",
      loading: "Loading demo customers…", loadFailed: "Could not load demo customers: ", retry: "Retry", noCustomers: "No demo customers available.",
      ask: "Ask", orders: function (n) { return n + (n === 1 ? " order" : " orders"); },
      langName: { zh: "Chinese", en: "English" },
      kinds: { order: "Tracking", policy: "Policy", product: "Products", return: "Return", human: "Human" },
      conv: function (id) { return "Conversation: " + id; },
      callStart: "Call", callEnd: "Hang up", callConnecting: "Connecting…", callLive: "On the line: speak now",
      callEnded: "Call ended", callNoMic: "The microphone is not available: ",
      callWho: { caller: "You", bot: "Kefu", operator: "Agent" },
      footer: "Kefu demo · this page and the chat widget are served by the Kefu app itself — no external CDN.",
    },
  };

  // What a customer would type, in the chat language (not the page language).
  var QUESTIONS = {
    zh: {
      order: function (id) { return "我的订单" + id + "到哪了？"; },
      policy: function () { return "7天无理由退货是怎么规定的？"; },
      product: function () { return "我想买手机壳"; },
      return: function (id) { return "订单" + id + "我想退货"; },
      human: function () { return "转人工客服"; },
    },
    en: {
      order: function (id) { return "Where is my order " + id + "?"; },
      policy: function () { return "What is your 7-day no-reason return policy?"; },
      product: function () { return "I want to buy a phone case"; },
      return: function (id) { return "I'd like to return order " + id; },
      human: function () { return "Can I talk to a person?"; },
    },
  };
  // Line icons (24×24 paths): no emoji, so nothing depends on an emoji font being installed.
  var ICON = {
    order: ["M21 8l-9-5-9 5 9 5 9-5z", "M3 8v8l9 5 9-5V8", "M12 13v8"],
    policy: ["M6 2h9l5 5v15H6z", "M14 2v6h6", "M9 13h8M9 17h6"],
    product: ["M5 8h14l-1 13H6z", "M9 8V6a3 3 0 0 1 6 0v2"],
    return: ["M9 14L4 9l5-5", "M4 9h11a5 5 0 0 1 0 10h-3"],
    human: ["M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8z", "M4 21a8 8 0 0 1 16 0"],
  };
