  // /static/console.js, part campaign-form.js: creating and editing a campaign (a dialog whose fields follow the
  // offer type), with the API's 422 messages shown on the fields they name; and the pause/resume/end dialog that
  // asks why (the note goes into the campaign's history with who made the change).
  // Runs inside the script's one IIFE, like every part; parts and order: server/api/assets.py.
  var FORM = { record: null, busy: false, move: null };
  var CAMP_KINDS = ["promotion", "festival", "seasonal", "new_customer", "member_day"];
  var RULE_TYPES = ["threshold", "percent_off", "coupon"];
  var CAMP_SEGMENTS = ["new_customer", "returning", "regular", "silver", "gold", "platinum"];
  var RULE_FIELDS = ["tiers", "percent_off", "discount", "min_spend", "valid_days", "day_of_month", "categories",
    "products", "exclude_categories", "exclude_products", "keywords", "type"];

  function formEl(name) { return $("camp-form").elements.namedItem(name); }

  function pad2(n) { return (n < 10 ? "0" : "") + n; }

  /** An ISO instant as a datetime-local value in the browser's time zone. */
  function localInput(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return "";
    return d.getFullYear() + "-" + pad2(d.getMonth() + 1) + "-" + pad2(d.getDate()) + "T" + pad2(d.getHours()) + ":" +
      pad2(d.getMinutes());
  }

  function fromLocal(value) {
    var d = new Date(value);
    return value && !isNaN(d.getTime()) ? d.toISOString() : undefined;
  }

  function words(value) {
    return String(value || "").split(/[,，、]/).map(function (x) { return x.trim(); }).filter(Boolean);
  }

  function numberOrUndefined(value) {
    var v = String(value || "").trim();
    return v === "" ? undefined : Number(v);
  }

  function labelForm() {
    var F = C().form;
    $("camp-form").querySelectorAll("[data-l]").forEach(function (node) {
      var v = F[node.getAttribute("data-l")];
      if (typeof v === "string") node.textContent = v;
    });
    formEl("note").placeholder = F.notePlaceholder;
    fillSelect(formEl("kind"), CAMP_KINDS.map(function (k) { return [k, C().kind[k]]; }), formEl("kind").value || "promotion");
    fillSelect(formEl("type"), RULE_TYPES.map(function (k) { return [k, C().type[k]]; }), formEl("type").value || "threshold");
  }

  function tierRow(min, off) {
    var F = C().form, row = el("div", "tier-row");
    row.setAttribute("data-testid", "f-tier");
    [[F.tierMin, "tier-min", min], [F.tierOff, "tier-off", off]].forEach(function (x) {
      var input = el("input");
      input.type = "number";
      input.min = "0";
      input.step = "0.01";
      input.placeholder = x[0];
      input.setAttribute("aria-label", x[0]);
      input.setAttribute("data-testid", x[1]);
      input.className = x[1];
      if (x[2] !== undefined && x[2] !== null) input.value = String(x[2]);
      row.appendChild(input);
    });
    var rm = el("button", "link", F.removeTier);
    rm.type = "button";
    rm.addEventListener("click", function () { row.remove(); });
    row.appendChild(rm);
    return row;
  }

  function showTypeFields() {
    var type = formEl("type").value;
    $("camp-form").querySelectorAll("[data-for]").forEach(function (node) {
      node.hidden = node.getAttribute("data-for") !== type;
    });
  }

  function clearFormErrors() {
    $("camp-form-errors").hidden = true;
    clear($("camp-form-errors"));
    $("camp-form").querySelectorAll(".field").forEach(function (f) {
      f.removeAttribute("data-invalid");
      f.querySelectorAll(".field-error").forEach(function (n) { n.remove(); });
    });
  }

  /** Open the form: `record` null creates a campaign, else edits that one. */
  function openCampaignForm(record) {
    var F = C().form, r = record ? record.rules : { type: "threshold", tiers: [{ min_spend: 300, discount: 50 }] };
    FORM.record = record;
    labelForm();
    clearFormErrors();
    $("camp-form-title").textContent = record ? F.editTitle : F.createTitle;
    $("camp-form-save").textContent = record ? F.save : F.createBtn;
    formEl("id").value = record ? record.id : "";
    formEl("id").disabled = !!record;
    formEl("name_zh").value = record ? record.name_zh : "";
    formEl("name_en").value = record ? record.name_en : "";
    formEl("kind").value = record && CAMP_KINDS.indexOf(record.kind) >= 0 ? record.kind : "promotion";
    if (record && CAMP_KINDS.indexOf(record.kind) < 0) {  // a kind the list does not know: keep it selectable
      var opt = el("option", null, record.kind);
      opt.value = record.kind;
      formEl("kind").appendChild(opt);
      formEl("kind").value = record.kind;
    }
    var start = record ? record.starts_at : new Date(serverNow()).toISOString();
    var end = record ? record.ends_at : new Date(serverNow() + 14 * 864e5).toISOString();
    formEl("starts_at").value = localInput(start);
    formEl("ends_at").value = localInput(end);
    formEl("type").value = r.type;
    clear($("f-tiers"));
    (r.tiers && r.tiers.length ? r.tiers : [{}]).forEach(function (x) { $("f-tiers").appendChild(tierRow(x.min_spend, x.discount)); });
    formEl("percent_off").value = r.percent_off === undefined ? "" : String(r.percent_off);
    formEl("discount").value = r.discount === undefined ? "" : String(r.discount);
    formEl("min_spend").value = r.min_spend === undefined ? "" : String(r.min_spend);
    formEl("valid_days").value = r.valid_days === undefined ? "" : String(r.valid_days);
    formEl("categories").value = (r.categories || []).join(", ");
    formEl("exclude_categories").value = (r.exclude_categories || []).join(", ");
    formEl("keywords").value = (r.keywords || []).join(", ");
    formEl("budget").value = record && record.budget !== null ? String(Number(record.budget)) : "";
    formEl("per_customer_limit").value = record && record.per_customer_limit ? String(record.per_customer_limit) : "";
    formEl("note").value = "";
    var boxes = $("f-segments");
    clear(boxes);
    CAMP_SEGMENTS.forEach(function (s) {
      var lab = el("label", "check seg-box");
      var cb = el("input");
      cb.type = "checkbox";
      cb.value = s;
      cb.checked = !!(record && record.segments.indexOf(s) >= 0);
      cb.setAttribute("data-testid", "f-seg-" + s);
      lab.appendChild(cb);
      lab.appendChild(el("span", null, C().segment[s]));
      boxes.appendChild(lab);
    });
    showTypeFields();
    $("camp-dialog").showModal();
    formEl(record ? "name_zh" : "name_zh").focus();
  }

  /** The body the API reads: every field of the form (empty ones left out so the API names what is missing). */
  function formBody() {
    var type = formEl("type").value, rules = { type: type };
    if (type === "threshold") {
      rules.tiers = Array.prototype.map.call($("f-tiers").querySelectorAll(".tier-row"), function (row) {
        return { min_spend: numberOrUndefined(row.querySelector(".tier-min").value),
          discount: numberOrUndefined(row.querySelector(".tier-off").value) };
      });
    } else if (type === "percent_off") {
      rules.percent_off = numberOrUndefined(formEl("percent_off").value);
    } else {
      rules.discount = numberOrUndefined(formEl("discount").value);
      rules.min_spend = numberOrUndefined(formEl("min_spend").value);
      rules.valid_days = numberOrUndefined(formEl("valid_days").value);
    }
    if (FORM.record && FORM.record.rules.day_of_month && type === FORM.record.rules.type) {
      rules.day_of_month = FORM.record.rules.day_of_month;  // not on the form: kept as it is
    }
    [["categories", "categories"], ["exclude_categories", "exclude_categories"], ["keywords", "keywords"]].forEach(function (x) {
      var list = words(formEl(x[0]).value);
      if (list.length) rules[x[1]] = list;
    });
    if (FORM.record) {
      ["products", "exclude_products"].forEach(function (k) { if ((FORM.record.rules[k] || []).length) rules[k] = FORM.record.rules[k]; });
    }
    var body = {
      name_zh: formEl("name_zh").value.trim() || undefined, name_en: formEl("name_en").value.trim() || undefined,
      kind: formEl("kind").value, starts_at: fromLocal(formEl("starts_at").value), ends_at: fromLocal(formEl("ends_at").value),
      rules: rules, budget: numberOrUndefined(formEl("budget").value),
      per_customer_limit: numberOrUndefined(formEl("per_customer_limit").value),
      segments: Array.prototype.filter.call($("f-segments").querySelectorAll("input"), function (cb) { return cb.checked; })
        .map(function (cb) { return cb.value; }),
      note: formEl("note").value.trim(),
    };
    if (!FORM.record && formEl("id").value.trim()) body.id = formEl("id").value.trim();
    if (FORM.record) {  // an edit sets a cap or removes it: null says "no cap"
      if (body.budget === undefined) body.budget = null;
      if (body.per_customer_limit === undefined) body.per_customer_limit = null;
    }
    return body;
  }

  /** "rules.tiers.1.discount: …", "rules: discount: must be less…" → the form's field for it. */
  function fieldFor(message) {
    var at = message.indexOf(": ");
    var path = at > 0 ? message.slice(0, at) : "", rest = at > 0 ? message.slice(at + 2) : message;
    if (path === "rules" || path === "") {
      var inner = rest.indexOf(": ");
      if (inner > 0 && RULE_FIELDS.indexOf(rest.slice(0, inner)) >= 0) path = "rules." + rest.slice(0, inner);
    }
    var best = null;
    $("camp-form").querySelectorAll(".field[data-field]").forEach(function (f) {
      var key = f.getAttribute("data-field");
      if ((path === key || path.indexOf(key + ".") === 0) && !f.hidden && (!best || key.length > best.key.length)) {
        best = { node: f, key: key };
      }
    });
    return { node: best ? best.node : null, text: rest, path: path };
  }

  function showFormErrors(err) {
    var box = $("camp-form-errors");
    clear(box);
    if (!err || (err.code !== "invalid_request" && err.code !== "invalid_campaign")) {
      box.appendChild(el("div", null, errorText(err)));
      box.hidden = false;
      return;
    }
    box.appendChild(el("div", "form-errors-lead", C().form.invalid));
    var list = el("ul");
    String(err.message || "").split("; ").forEach(function (message) {
      if (!message) return;
      var found = fieldFor(message);
      list.appendChild(el("li", null, message));
      if (found.node) {
        found.node.setAttribute("data-invalid", "true");
        var small = el("small", "field-error", found.text);
        small.setAttribute("data-testid", "field-error");
        found.node.appendChild(small);
      }
    });
    box.appendChild(list);
    box.hidden = false;
  }

  function submitCampaignForm(e) {
    e.preventDefault();
    if (FORM.busy) return;
    clearFormErrors();
    var record = FORM.record, body = formBody();
    var call = record ? api("PATCH", "/api/operator/campaigns/" + encodeURIComponent(record.id), body)
      : api("POST", "/api/operator/campaigns", body);
    FORM.busy = true;
    $("camp-form-save").disabled = true;
    call.then(function (saved) {
      FORM.busy = false;
      $("camp-form-save").disabled = false;
      $("camp-dialog").close();
      toast(record ? C().form.saved : C().form.created);
      refreshCampaigns(saved.id);
    }, function (err) {
      FORM.busy = false;
      $("camp-form-save").disabled = false;
      if (err && err.status === 401) { $("camp-dialog").close(); onApiError(err); return; }
      showFormErrors(err);
    });
  }

  // ------------------------------------------------------------------------------------ pause, resume, end
  function openMove(action, record) {
    var M = C().move;
    FORM.move = { action: action, id: record.id };
    $("move-title").textContent = M.title[action] + " · " + campName(record);
    $("move-body").textContent = M.body[action];
    $("move-note-label").textContent = M.note;
    $("move-note").value = "";
    $("move-cancel").textContent = C().form.cancel;
    $("move-confirm").textContent = M.confirm[action];
    $("move-confirm").className = action === "end" ? "primary danger" : "primary";
    $("move-dialog").showModal();
    $("move-note").focus();
  }

  function submitMove(e) {
    e.preventDefault();
    var move = FORM.move;
    if (!move || FORM.busy) return;
    FORM.busy = true;
    api("POST", "/api/operator/campaigns/" + encodeURIComponent(move.id) + "/" + move.action,
      { note: $("move-note").value.trim() }).then(function () {
      FORM.busy = false;
      $("move-dialog").close();
      toast(C().move.done[move.action]);
      refreshCampaigns(move.id);
    }, function (err) {
      FORM.busy = false;
      $("move-dialog").close();
      onApiError(err);
      refreshCampaigns(move.id);
    });
  }

  function bindCampaignForm() {
    $("camp-form").addEventListener("submit", submitCampaignForm);
    $("camp-form-cancel").addEventListener("click", function () { $("camp-dialog").close(); });
    formEl("type").addEventListener("change", showTypeFields);
    $("f-add-tier").addEventListener("click", function () { $("f-tiers").appendChild(tierRow()); });
    $("move-form").addEventListener("submit", submitMove);
    $("move-cancel").addEventListener("click", function () { $("move-dialog").close(); });
  }
