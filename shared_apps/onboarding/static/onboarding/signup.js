// The signup form's helpers: the subdomain's availability, checked as one types (and
// suggested from the organization's name until the person edits it), and one submission only.
// The form works without them; the server checks everything again.
(function () {
  "use strict";
  var form = document.getElementById("signup-form");
  if (!form) { return; }
  var name = form.querySelector('[name="name"]');
  var slug = form.querySelector('[name="slug"]');
  var status = document.getElementById("slug-status");
  var submit = document.getElementById("signup-submit");
  var checkUrl = form.dataset.checkUrl;
  var slugEdited = slug.value !== "";
  var timer = null;
  var latest = 0;

  function suggestion(text) {
    return text.toLowerCase().normalize("NFKD").replace(/[\u0300-\u036f]/g, "")
      .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40).replace(/-+$/, "");
  }

  function show(text, kind) {
    status.textContent = text;
    status.className = "status" + (kind ? " " + kind : "");
  }

  function check() {
    var value = slug.value.trim().toLowerCase();
    if (!value) { show("", ""); return; }
    var request = ++latest;
    show("Checking " + value + "…", "");
    fetch(checkUrl + "?slug=" + encodeURIComponent(value), {headers: {Accept: "application/json"}})
      .then(function (response) {
        return response.json().then(function (body) { return {ok: response.ok, body: body}; });
      })
      .then(function (result) {
        if (request !== latest) { return; }  // an older answer, overtaken by typing
        if (!result.ok) { show(result.body.error ? result.body.error.message : "", ""); return; }
        var body = result.body;
        show(body.available ? body.host + " is available." : body.message, body.available ? "ok" : "taken");
      })
      .catch(function () { if (request === latest) { show("", ""); } });
  }

  function scheduleCheck() {
    window.clearTimeout(timer);
    timer = window.setTimeout(check, 300);
  }

  slug.addEventListener("input", function () { slugEdited = slug.value !== ""; scheduleCheck(); });
  name.addEventListener("input", function () {
    if (slugEdited) { return; }
    slug.value = suggestion(name.value);
    scheduleCheck();
  });
  form.addEventListener("submit", function (event) {
    if (submit.disabled) { event.preventDefault(); return; }
    submit.disabled = true;
    submit.textContent = "Creating your account…";
  });
  // Back from the next page: the button works again.
  window.addEventListener("pageshow", function () {
    submit.disabled = false;
    submit.textContent = "Create my account";
  });
  if (slug.value) { check(); }
  var errors = document.getElementById("form-errors");
  if (errors) { errors.focus(); }
})();
