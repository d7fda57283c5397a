// The approvals queue: a box in each person's week ticks or clears all of its entries at once.
// Without this script each entry is ticked on its own.
(function () {
  "use strict";
  document.querySelectorAll("table.approvals tbody").forEach((group, index) => {
    const entries = Array.from(group.querySelectorAll("input.entry-select"));
    const heading = group.querySelector("tr.group th");
    if (!entries.length || !heading) {
      return;
    }
    const box = document.createElement("input");
    box.type = "checkbox";
    box.id = `group-${index}`;
    box.className = "group-select";
    const label = document.createElement("label");
    label.htmlFor = box.id;
    label.className = "visually-hidden";
    label.textContent = `Select all of ${heading.textContent.trim()}`;
    heading.prepend(box, label, " ");
    box.addEventListener("change", () => {
      entries.forEach((entry) => {
        entry.checked = box.checked;
      });
    });
  });
})();
