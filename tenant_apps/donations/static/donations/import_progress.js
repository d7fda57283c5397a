// Follows the job through the status endpoint; the page reloads once it is finished (for the
// errors). Without scripts, the Refresh link does the same.
(function () {
  var box = document.getElementById("import-status");
  var bar = document.getElementById("import-progress");
  function poll() {
    fetch(box.dataset.statusUrl, {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (job) {
        if (!job) { return; }
        var progress = job.progress;
        if (job.state === "succeeded" || job.state === "failed") { window.location.reload(); return; }
        document.getElementById("import-state").textContent =
          progress.state.charAt(0).toUpperCase() + progress.state.slice(1);
        document.getElementById("import-count").textContent =
          progress.processed + " of " + progress.total;
        bar.max = progress.total;
        bar.value = progress.processed;
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
