// Front-end entry point, bundled by esbuild into site/static/build/main.js at setup.
// htmx drives partial page updates (live search now; booking grids and queues later).
import htmx from "htmx.org";

window.htmx = htmx;
