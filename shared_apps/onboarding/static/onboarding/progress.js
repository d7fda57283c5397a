// Follows a signup's set-up through its status endpoint and moves on to the organization's
// login page once it is ready. Without scripts, the page's Refresh link does the same by hand.
(function () {
  "use strict";
  var box = document.getElementById("progress");
  if (!box) { return; }
  var statusLabels = {done: "done", current: "in progress", failed: "failed", todo: "to do"};
  // Long enough to see that it finished, short enough not to wait for nothing.
  var READY_PAUSE_MS = 1200;

  function moveOn(url) {
    window.setTimeout(function () { window.location.assign(url); }, READY_PAUSE_MS);
  }

  function render(status) {
    var message = document.getElementById("progress-message");
    message.textContent = status.message;
    status.steps.forEach(function (step) {
      var item = box.querySelector('[data-step="' + step.name + '"]');
      if (!item) { return; }
      item.className = "step " + step.status;
      item.querySelector(".step-status").textContent = "(" + (statusLabels[step.status] || step.status) + ")";
    });
    box.dataset.state = status.state;
    // Confirmed in another tab: there is no email left to send again.
    var resend = document.getElementById("resend");
    if (resend && status.state !== "pending") { resend.hidden = true; }
  }

  function poll() {
    fetch(box.dataset.statusUrl, {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (status) {
        if (!status) { window.setTimeout(poll, 3000); return; }
        if (status.state === "active" && status.login_url) {
          // The full page, with its heading and login link, then the login page itself.
          if (box.dataset.state !== "active") { window.location.reload(); return; }
          moveOn(status.login_url);
          return;
        }
        if (status.finished) { window.location.reload(); return; }
        render(status);
        // Waiting for the email can take minutes; provisioning takes seconds.
        window.setTimeout(poll, status.state === "pending" ? 5000 : 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }

  if (box.dataset.state === "active") {
    var link = document.getElementById("login-link");
    if (link) { moveOn(link.href); }
  } else {
    window.setTimeout(poll, 1000);
  }
})();
