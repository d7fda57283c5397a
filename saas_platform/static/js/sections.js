// The menus of the sections bar (People): the button opens and closes its list of links, and
// says which with aria-expanded. Escape closes the menu and puts the focus back on its button;
// the menu also closes when the focus or a click goes elsewhere, and opening one closes another.
(() => {
  "use strict";
  const bar = document.querySelector("nav.sections");
  if (!bar) {
    return;
  }
  bar.classList.add("enhanced");
  const toggles = [...bar.querySelectorAll("button.menu-toggle")];
  const setOpen = (button, open) => button.setAttribute("aria-expanded", open ? "true" : "false");
  const isOpen = (button) => button.getAttribute("aria-expanded") === "true";

  for (const button of toggles) {
    const menu = button.closest("li.menu");
    button.addEventListener("click", () => {
      const opening = !isOpen(button);
      for (const other of toggles) {
        setOpen(other, false);
      }
      setOpen(button, opening);
    });
    menu.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && isOpen(button)) {
        setOpen(button, false);
        button.focus();
      }
    });
    menu.addEventListener("focusout", (event) => {
      if (event.relatedTarget && !menu.contains(event.relatedTarget)) {
        setOpen(button, false);
      }
    });
  }
  document.addEventListener("click", (event) => {
    for (const button of toggles) {
      if (!button.closest("li.menu").contains(event.target)) {
        setOpen(button, false);
      }
    }
  });
})();
