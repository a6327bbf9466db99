// Front-end entry point, bundled by esbuild into site/static/build/main.js at setup.
// htmx drives partial page updates (live search now; booking grids and queues later).
import htmx from "htmx.org";

window.htmx = htmx;

// The site menu is a <details>: it opens and closes without JavaScript. Here it is kept open on
// wide screens (where CSS lays its contents out inline, also for browsers that cannot style a
// closed <details>), closed again on phones, and closed by Escape with focus back on its button.
const WIDE_SCREEN = "(min-width: 60em)";

function setUpSiteMenu(menu) {
  const summary = menu.querySelector("summary");
  const wide = window.matchMedia(WIDE_SCREEN);
  const mark = () => summary.setAttribute("aria-expanded", String(menu.open));
  const fit = () => {
    menu.open = wide.matches;
    mark();
  };
  wide.addEventListener("change", fit);
  menu.addEventListener("toggle", mark);
  menu.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && menu.open && !wide.matches) {
      menu.open = false;
      mark();
      summary.focus();
    }
  });
  fit();
}

const siteMenu = document.querySelector("[data-site-menu]");
if (siteMenu) setUpSiteMenu(siteMenu);

// A region that htmx replaces while someone works in it (the print farm's printers every ten
// seconds, a job's status) would drop keyboard focus to the page's top. The focused control is
// found again in the new content by its id, or by its form's action and its own name and
// value, and focus put back on it; if it is gone, the region itself takes focus.
function focusKey(element) {
  if (element.id) return `#${CSS.escape(element.id)}`;
  const tag = element.tagName.toLowerCase();
  let own = tag;
  const name = element.getAttribute("name");
  if (name) own += `[name="${CSS.escape(name)}"]`;
  if (tag === "button" && element.getAttribute("value")) own += `[value="${CSS.escape(element.value)}"]`;
  if (tag === "a" && element.getAttribute("href")) own += `[href="${CSS.escape(element.getAttribute("href"))}"]`;
  const action = element.form && element.form.getAttribute("action");
  return action ? `form[action="${CSS.escape(action)}"] ${own}` : own;
}

let keptFocus = null;
document.addEventListener("htmx:beforeSwap", (event) => {
  const target = event.detail.target;
  const active = document.activeElement;
  keptFocus = target && active && active !== target && target.contains(active)
    ? { target, key: focusKey(active) } : null;
});
document.addEventListener("htmx:afterSettle", (event) => {
  const kept = keptFocus;
  keptFocus = null;
  if (!kept || event.detail.target !== kept.target) return;
  if (kept.target.contains(document.activeElement) && document.activeElement !== kept.target) return;
  let again = null;
  try { again = kept.target.querySelector(kept.key); } catch (error) { again = null; }
  if (!again) {
    if (!kept.target.hasAttribute("tabindex")) kept.target.setAttribute("tabindex", "-1");
    again = kept.target;
  }
  again.focus({ preventScroll: true });
});

// A refused form comes back with what went wrong: focus goes to the summary of the errors (or
// the first field in error), so that a screen reader reads it out and the keyboard starts
// there instead of at the top of the page.
// In order: a summary of the refusal (or an error message after a redirect), else the first
// field marked invalid, else an error list.
const PROBLEMS = [
  ".refusal, .form-errors, .messages .message-error",
  "[aria-invalid='true'], .field-error :is(input, select, textarea)",
  "ul.errorlist",
];

function focusProblem(root) {
  for (const selector of PROBLEMS) {
    const problem = root.querySelector(selector);
    if (!problem) continue;
    if (!problem.matches("input, select, textarea") && !problem.hasAttribute("tabindex")) {
      problem.setAttribute("tabindex", "-1");
    }
    problem.focus();
    return true;
  }
  return false;
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", () => focusProblem(document));
} else {
  focusProblem(document);
}
document.addEventListener("htmx:afterSettle", (event) => {
  const target = event.detail.target;
  if (target && target.isConnected) focusProblem(target);
});
