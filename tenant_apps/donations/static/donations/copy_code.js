// The campaign page's embed codes: a button copies its text area's code to the clipboard and
// says so; without the clipboard the code is selected for the person to copy.
(function () {
  "use strict";
  var status = document.getElementById("copy-status");
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var area = document.getElementById(button.getAttribute("data-copy"));
      area.focus();
      area.select();
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(area.value).then(
          function () { status.textContent = "Copied. Paste it into your website."; },
          function () { status.textContent = "Selected: press Ctrl+C (or ⌘C) to copy it."; }
        );
      } else {
        status.textContent = "Selected: press Ctrl+C (or ⌘C) to copy it.";
      }
    });
  });
})();
