  // Shared part of /widget.js and /static/console.js: calling Kefu's JSON API.
  // Runs inside each script's one IIFE, like every part; parts and order: server/api/assets.py.
  function ApiError(status, code, message) {
    this.status = status;
    this.code = code;
    this.message = message;
  }

  /** fetch JSON; HTTP errors arrive as {"error": {"code", "message"}} and become ApiError, a fetch that fails
   *  ApiError(0, "network"). `init`: method, body (sent as JSON when given), headers, credentials. */
  function fetchJson(url, init) {
    var headers = { Accept: "application/json" };
    Object.keys(init.headers || {}).forEach(function (k) { headers[k] = init.headers[k]; });
    if (init.body !== undefined) headers["Content-Type"] = "application/json";
    return fetch(url, {
      method: init.method,
      headers: headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      credentials: init.credentials,
    }).then(
      function (res) {
        return res.text().then(function (raw) {
          var data = null;
          try { data = raw ? JSON.parse(raw) : null; } catch (_) { data = null; }
          if (!res.ok) {
            var err = (data && data.error) || {};
            throw new ApiError(res.status, err.code || "http_" + res.status, err.message || res.statusText);
          }
          return data;
        });
      },
      function (e) { throw new ApiError(0, "network", String(e && e.message ? e.message : e)); }
    );
  }
