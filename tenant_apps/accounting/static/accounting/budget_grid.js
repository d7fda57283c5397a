// The budget grid: each row's total and each month's total follow every keystroke, and the up
// and down arrows move to the same month of the account above or below. Without this script
// the grid still works: the totals are the server's, as of the last save.
(function () {
  "use strict";

  var form = document.getElementById("budget-grid");
  if (!form) {
    return;
  }

  function cents(text) {
    var value = (text || "").replace(/[$,\s]/g, "");
    if (!/^-?\d+(\.\d{0,2})?$/.test(value)) {
      return 0;
    }
    return Math.round(parseFloat(value) * 100);
  }

  function money(amount) {
    var whole = Math.abs(amount);
    var dollars = Math.floor(whole / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    var rest = (whole % 100).toString().padStart(2, "0");
    return (amount < 0 ? "-$" : "$") + dollars + "." + rest;
  }

  var rows = Array.prototype.slice.call(form.querySelectorAll("tbody tr"));
  var columnTotals = form.querySelectorAll("tfoot .column-total output");
  var grandTotal = document.getElementById("grand-total");

  function refresh() {
    var months = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    rows.forEach(function (row) {
      var total = 0;
      row.querySelectorAll("input[data-month]").forEach(function (input) {
        var amount = cents(input.value);
        months[Number(input.dataset.month)] += amount;
        total += amount;
      });
      var output = row.querySelector(".row-total output");
      if (output) {
        output.textContent = money(total);
      }
    });
    var all = 0;
    months.forEach(function (amount, index) {
      all += amount;
      if (columnTotals[index]) {
        columnTotals[index].textContent = money(amount);
      }
    });
    if (grandTotal) {
      grandTotal.textContent = money(all);
    }
  }

  form.addEventListener("input", function (event) {
    if (event.target.matches("input[data-month]")) {
      refresh();
    }
  });

  form.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!input.matches("input.amount")) {
      return;
    }
    if (event.key === "Enter") {
      // Enter in a cell moves down a row, as in a spreadsheet, rather than saving half a grid.
      event.preventDefault();
    }
    var step = event.key === "ArrowDown" || event.key === "Enter" ? 1 : event.key === "ArrowUp" ? -1 : 0;
    if (!step) {
      return;
    }
    var row = input.closest("tr");
    var index = rows.indexOf(row) + step;
    if (index < 0 || index >= rows.length) {
      return;
    }
    var selector = input.dataset.month !== undefined
      ? "input[data-month='" + input.dataset.month + "']"
      : "input.annual";
    var target = rows[index].querySelector(selector);
    if (target) {
      event.preventDefault();
      target.focus();
      target.select();
    }
  });
})();
