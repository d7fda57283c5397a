// The journal entry form: "Add a line" copies the blank line (without a round trip to the
// server), the totals by fund follow every keystroke with what keeps a fund from balancing, and
// Enter in a field does not submit the form (the first button of the form adds a line).
// Without this script the form still works: "Add a line" asks the server for one more row.
(function () {
  "use strict";

  var form = document.getElementById("entry-form");
  if (!form) {
    return;
  }
  var lines = document.getElementById("entry-lines");
  var template = document.getElementById("line-template");
  var totalForms = form.querySelector("input[name='lines-TOTAL_FORMS']");
  var totalsBody = document.getElementById("fund-totals");
  var status = document.getElementById("balance-status");
  var MAX_LINES = 200;

  function cents(text) {
    var value = (text || "").replace(/[$,\s]/g, "");
    if (!/^\d+(\.\d{0,2})?$/.test(value)) {
      return 0;
    }
    return Math.round(parseFloat(value) * 100);
  }

  function money(amount) {
    var sign = amount < 0 ? "-" : "";
    var whole = Math.abs(amount);
    var dollars = Math.floor(whole / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    var rest = (whole % 100).toString().padStart(2, "0");
    return sign + "$" + dollars + "." + rest;
  }

  function cell(tag, text, className) {
    var element = document.createElement(tag);
    element.textContent = text;
    if (className) {
      element.className = className;
    }
    if (tag === "th") {
      element.scope = "row";
    }
    return element;
  }

  function recount() {
    var funds = [];
    var byFund = {};
    lines.querySelectorAll("[data-entry-line]").forEach(function (line) {
      var debit = cents(line.querySelector("[data-line='debit']").value);
      var credit = cents(line.querySelector("[data-line='credit']").value);
      if (!debit && !credit) {
        return;
      }
      var fund = line.querySelector("[data-line='fund']").value.trim().split(" ")[0] || "No fund";
      if (!byFund[fund]) {
        byFund[fund] = { debits: 0, credits: 0 };
        funds.push(fund);
      }
      byFund[fund].debits += debit;
      byFund[fund].credits += credit;
    });
    var rows = [];
    var off = [];
    funds.forEach(function (fund) {
      var total = byFund[fund];
      var difference = total.debits - total.credits;
      var row = document.createElement("tr");
      if (difference) {
        row.className = "off";
        off.push("fund " + fund + " is out of balance by " + money(Math.abs(difference)));
      }
      row.append(
        cell("th", fund),
        cell("td", money(total.debits), "num"),
        cell("td", money(total.credits), "num"),
        cell("td", money(difference), "num")
      );
      rows.push(row);
    });
    if (!rows.length) {
      var empty = document.createElement("tr");
      var note = cell("td", "Type amounts on the lines to see each fund’s totals.", "muted");
      note.colSpan = 4;
      empty.append(note);
      rows.push(empty);
    }
    totalsBody.replaceChildren.apply(totalsBody, rows);
    if (!funds.length) {
      status.textContent = "";
    } else if (off.length) {
      status.textContent = "Not balanced: " + off.join("; ") + ".";
      status.className = "off";
    } else {
      status.textContent = "Balanced in every fund.";
      status.className = "balanced";
    }
  }

  function addLine() {
    var index = parseInt(totalForms.value, 10) || 0;
    if (index >= MAX_LINES) {
      return;
    }
    var html = template.innerHTML
      .replace(/__prefix__/g, String(index))
      .replace(/__number__/g, String(index + 1));
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var line = holder.firstElementChild;
    lines.append(line);
    totalForms.value = String(index + 1);
    var first = line.querySelector("input, select");
    if (first) {
      first.focus();
    }
  }

  form.addEventListener("click", function (event) {
    var button = event.target.closest("[data-add-line]");
    if (button) {
      event.preventDefault();
      addLine();
    }
  });

  form.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key === "Enter" && target.tagName === "INPUT" && target.type !== "submit") {
      event.preventDefault();
    }
  });

  form.addEventListener("input", recount);
  form.addEventListener("change", recount);
  recount();

  var errors = document.getElementById("form-errors");
  if (errors) {
    errors.focus();
  }
})();
