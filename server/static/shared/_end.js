  // Last part of every script (server/api/assets.py): closes the IIFE its _begin.js opened.
})();
