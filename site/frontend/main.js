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
