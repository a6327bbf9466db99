// The H5P player document on the user-content origin (courses/templates/courses/h5p_frame.html).
// It runs inside <iframe sandbox="allow-scripts allow-same-origin"> on a site page, with no
// cookie and no CSRF token: everything it reports goes to the parent page by postMessage, to the
// site's origin only, and the parent decides what to send to the server. The saved state comes
// from the parent the same way, after this document says it is ready.

// A frame from another site may be denied storage (third-party storage blocking, private
// windows); H5P core reads localStorage unguarded. It then gets a store that lives as long as
// the frame: the state that matters is kept by the site, through the parent page.
function memoryStorage() {
  const items = new Map();
  return {
    get length() { return items.size; },
    key: (index) => Array.from(items.keys())[index] ?? null,
    getItem: (name) => (items.has(String(name)) ? items.get(String(name)) : null),
    setItem: (name, value) => { items.set(String(name), String(value)); },
    removeItem: (name) => { items.delete(String(name)); },
    clear: () => { items.clear(); },
  };
}

try {
  window.localStorage.getItem("h5p");
} catch (denied) {
  Object.defineProperty(window, "localStorage", { value: memoryStorage(), configurable: true });
}

const config = JSON.parse(document.getElementById("h5p-frame-config").textContent);
const parentOrigin = config.parentOrigin;

function tell(message) {
  if (window.parent !== window) window.parent.postMessage(message, parentOrigin);
}

function currentState() {
  const instance = window.H5P && window.H5P.instances && window.H5P.instances[0];
  if (!instance || typeof instance.getCurrentState !== "function") return undefined;
  const state = instance.getCurrentState();
  return state === undefined ? undefined : JSON.stringify(state);
}

function start(init) {
  const mount = document.querySelector("[data-h5p-frame]");
  // The reader's large-text mode reaches into the activity: the frame is another document, so
  // the page's own CSS cannot (set through the CSSOM, which the frame's CSP allows).
  if (init.largeText === true) {
    document.documentElement.classList.add("large-text");
    document.documentElement.style.fontSize = "137.5%";
    mount.style.fontSize = "1.375rem";
  }
  const options = {
    id: config.id,
    title: config.title,
    h5pJsonPath: config.h5pJsonPath,
    contentJsonPath: config.contentJsonPath,
    librariesPath: config.librariesPath,
    frameJs: config.frameJs,
    frameCss: config.frameCss,
    // The activity is drawn into this document: it is already the sandboxed frame.
    embedType: "div",
    frame: true,
    // No full-screen control: H5P core labels it in English only, and the activity already
    // fills the frame on a phone.
    fullScreen: false,
    copyright: false,
    export: false,
    embed: false,
    icon: false,
    // H5P keeps user data per sub-content; an empty entry lets it start afresh.
    contentUserData: [typeof init.state === "string" && init.state ? { state: init.state } : {}],
    // H5P core hands an activity its previous state only when saving is on. With no user and
    // no URL its own saver sends nothing; this document reports the state to the parent.
    saveFreq: 30,
  };
  if (typeof init.objectIRI === "string" && /^https?:\/\//.test(init.objectIRI)) {
    // Statements name the site page the learner sees, never this document's signed URL.
    options.xAPIObjectIRI = init.objectIRI;
  }
  new window.H5PStandalone.H5P(mount, options).then(() => {
    // What the activity looks like untouched (or restored) is not worth a save.
    let last = currentState() ?? (typeof init.state === "string" ? init.state : "");
    const saveState = () => {
      if (!init.signedIn) return;
      const data = currentState();
      if (data === undefined || data === last) return;
      last = data;
      tell({ type: "state", data });
    };
    window.H5P.externalDispatcher.on("xAPI", (event) => {
      tell({ type: "xapi", statement: event.data.statement });
      // The activity reports an interaction before it has updated its own state.
      setTimeout(saveState, 50);
    });
    setInterval(saveState, 2000);
    window.addEventListener("pagehide", saveState);
    const resize = () => tell({ type: "resize", height: document.documentElement.scrollHeight });
    if (typeof ResizeObserver === "function") new ResizeObserver(resize).observe(document.body);
    resize();
    tell({ type: "loaded" });
  }).catch((error) => {
    console.error("The H5P activity could not be started.", error);
  });
}

let started = false;
window.addEventListener("message", (event) => {
  if (event.origin !== parentOrigin || event.source !== window.parent) return;
  const message = event.data;
  if (!message || message.type !== "init" || started) return;
  started = true;
  start(message);
});
tell({ type: "ready" });
