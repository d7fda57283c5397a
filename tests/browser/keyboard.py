"""Walking a page with the keyboard alone: `tab_to` presses Tab (or Shift+Tab) until the focus
is on what a test names, and fails if it never gets there, or if any element the focus lands on
on the way does not show it (a focus ring or shadow, on a box one can see)."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

# Enough for the longest page walked (the organization settings: the header, the bar, and
# five forms); a target further away than this is as good as unreachable.
TAB_LIMIT = 120


class FocusShown(TypedDict):
    element: str
    shown: bool


# How the focused element shows its focus: an outline or a box shadow drawn while it matches
# :focus-visible (what a keyboard's focus matches), on a box of some size.
FOCUS_SHOWN = """() => {
  const element = document.activeElement;
  if (element === document.body) {
    return {element: "body", shown: true};  // past the last stop, before the first again
  }
  const name = element.tagName.toLowerCase() + (element.id ? "#" + element.id : "")
    + (element.getAttribute("name") ? `[name=${element.getAttribute("name")}]` : "")
    + (element.textContent.trim() ? ` "${element.textContent.trim().slice(0, 40)}"` : "");
  // A date field's last stop is its calendar button, inside the field's own shadow tree and
  // ringed there by Chromium (a page's styles cannot reach it); the field itself then matches
  // neither :focus nor :focus-visible, though it is still the document's active element.
  if (element.matches("input[type=date]")) {
    return {element: name, shown: true};
  }
  const style = getComputedStyle(element);
  const box = element.getBoundingClientRect();
  const ring = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  const shadow = style.boxShadow !== "none";
  const state = `focus ${element.matches(":focus")}, `
    + `focus-visible ${element.matches(":focus-visible")}, `
    + `outline ${style.outlineStyle} ${style.outlineWidth}, shadow ${style.boxShadow}, `
    + `box ${Math.round(box.width)}x${Math.round(box.height)}`;
  return {element: `${name} (${state})`,
          shown: element.matches(":focus-visible") && (ring || shadow)
                 && box.width > 0 && box.height > 0};
}"""


def focus_shown(page: Page) -> FocusShown:
    result: FocusShown = page.evaluate(FOCUS_SHOWN)
    return result


def tab_to(page: Page, target: Locator, *, backwards: bool = False) -> None:
    """Moves the focus with Tab (Shift+Tab if `backwards`) until `target` has it. Every stop on
    the way must show the focus."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(TAB_LIMIT):
        if target.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press(key)
        stop = focus_shown(page)
        assert stop["shown"], f"{stop['element']} takes the focus without showing it"
    raise AssertionError(f"{TAB_LIMIT} presses of {key} never reached {target}")
