// The timesheet's keyboard and totals: the arrow keys move between day cells (up and down
// between rows, left and right between days, skipping locked cells), and the row, day and week
// totals follow what is typed. Without this script the grid still works: Tab moves, Save
// computes the totals.
(function () {
  "use strict";
  const table = document.querySelector("table.timesheet");
  if (!table) {
    return;
  }
  const MOVES = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
  const rowCount = table.tBodies[0].rows.length;

  function cellAt(row, day) {
    return table.querySelector(`input.hours[data-row="${row}"][data-day="${day}"]`);
  }

  table.addEventListener("keydown", (event) => {
    const input = event.target;
    const move = MOVES[event.key];
    if (!move || !input.matches("input.hours") || event.altKey || event.ctrlKey || event.metaKey) {
      return;
    }
    // Up and down would otherwise step the number; no cell in that direction keeps focus here.
    event.preventDefault();
    let row = Number(input.dataset.row) + move[0];
    let day = Number(input.dataset.day) + move[1];
    while (row >= 0 && row < rowCount && day >= 0 && day < 7) {
      const target = cellAt(row, day);
      if (target) {
        target.focus();
        target.select();
        return;
      }
      row += move[0];
      day += move[1];
    }
  });

  function hoursOf(text) {
    const hours = Number(String(text).trim() || "0");
    return Number.isFinite(hours) ? hours : 0;
  }

  function shown(hours) {
    return String(Number(hours.toFixed(2)));
  }

  function totals() {
    const days = [0, 0, 0, 0, 0, 0, 0];
    for (const row of table.tBodies[0].rows) {
      let rowTotal = 0;
      row.querySelectorAll("td[class~='num']").forEach((cell, day) => {
        if (day > 6) {
          return;
        }
        const input = cell.querySelector("input.hours");
        const locked = cell.querySelector(".hours-locked");
        const hours = hoursOf(input ? input.value : locked ? locked.textContent : "0");
        days[day] += hours;
        rowTotal += hours;
      });
      const total = row.querySelector("[data-row-total]");
      if (total) {
        total.textContent = shown(rowTotal);
      }
    }
    days.forEach((hours, day) => {
      const cell = table.querySelector(`[data-day-total="${day}"]`);
      if (cell) {
        cell.textContent = shown(hours);
      }
    });
    const week = table.querySelector("[data-week-total]");
    if (week) {
      week.textContent = shown(days.reduce((sum, hours) => sum + hours, 0));
    }
  }

  table.addEventListener("input", totals);
})();
