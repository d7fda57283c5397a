// A donor field that suggests as one types (htmx fills its listbox): the arrow keys move
// through the suggestions, Enter (or a click) picks the highlighted one and moves on to the
// next field, typing again forgets the pick. After htmx swaps a batch, the field marked
// autofocus gets the focus, so the next check can be typed at once.
(function () {
  "use strict";

  function parts(input) {
    var box = document.getElementById(input.getAttribute("aria-controls"));
    var hidden = document.getElementById(input.dataset.donorIdField);
    return { box: box, hidden: hidden, options: box ? Array.prototype.slice.call(box.querySelectorAll("[role=option]")) : [] };
  }

  function select(input, options, index) {
    options.forEach(function (option, i) {
      option.setAttribute("aria-selected", i === index ? "true" : "false");
    });
    if (options[index]) {
      input.setAttribute("aria-activedescendant", options[index].id);
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function pick(input, option) {
    var found = parts(input);
    found.hidden.value = option.dataset.donorId;
    input.value = option.dataset.donorName;
    found.box.replaceChildren();
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    var next = document.getElementById(input.dataset.next);
    if (next) {
      next.focus();
    }
  }

  document.addEventListener("input", function (event) {
    var input = event.target;
    if (input.matches && input.matches("[data-donor-lookup]")) {
      parts(input).hidden.value = "";
    }
  });

  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("[data-donor-lookup]")) {
      return;
    }
    var found = parts(input);
    var options = found.options;
    var current = options.findIndex(function (option) {
      return option.getAttribute("aria-selected") === "true";
    });
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (options.length) {
        event.preventDefault();
        var step = event.key === "ArrowDown" ? 1 : -1;
        select(input, options, (current + step + options.length) % options.length);
      }
    } else if (event.key === "Enter") {
      if (options.length) {
        event.preventDefault();
        pick(input, options[current < 0 ? 0 : current]);
      } else if (found.hidden.value) {
        // Already picked: Enter moves on instead of saving a row that is half typed.
        event.preventDefault();
        var next = document.getElementById(input.dataset.next);
        if (next) {
          next.focus();
        }
      }
    } else if (event.key === "Escape" && found.box) {
      found.box.replaceChildren();
      input.setAttribute("aria-expanded", "false");
    }
  });

  document.addEventListener("click", function (event) {
    var option = event.target.closest && event.target.closest("[role=option][data-donor-id]");
    if (!option) {
      return;
    }
    var box = option.closest(".suggestions-box");
    var input = box && document.querySelector("[aria-controls='" + box.id + "']");
    if (input) {
      pick(input, option);
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    var input = target.id ? document.querySelector("[aria-controls='" + target.id + "']") : null;
    if (input) {
      var options = parts(input).options;
      input.setAttribute("aria-expanded", options.length ? "true" : "false");
      select(input, options, options.length ? 0 : -1);
    }
  });

  // Text typed into the focused field before htmx was listening (an autofocused field takes
  // keys while the page's scripts still load) fetches its suggestions once htmx is ready; htmx
  // sets up its listeners on DOMContentLoaded before this one runs.
  document.addEventListener("DOMContentLoaded", function () {
    var input = document.activeElement;
    if (!window.htmx || !input || !input.matches || !input.matches("[data-donor-lookup]") || !input.value) {
      return;
    }
    var found = parts(input);
    if (found.box && !found.box.children.length && !(found.hidden && found.hidden.value)) {
      window.htmx.ajax("GET", input.getAttribute("hx-get"), { source: input, target: found.box, swap: "innerHTML" });
    }
  });

  // After the settle, when htmx has wired the new row's donor field: typed text fetches its
  // suggestions from the first key.
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.detail.target.id !== "batch") {
      return;
    }
    var focus = document.querySelector("#batch [autofocus]");
    if (focus) {
      focus.focus();
    }
  });
})();
