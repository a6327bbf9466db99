// Embeds each H5P activity as a sandboxed frame from the user-content origin (the player runs
// there: package code never runs on the site's origin) and relays what the frame reports to the
// site. A message counts only when it comes from that origin AND from that very frame; the
// activity and lesson sent to the server are the page's own, never the frame's. The server
// replaces the statement's actor with the signed-in learner.

function ready(fn) {
  if (document.readyState !== "loading") fn();
  else document.addEventListener("DOMContentLoaded", fn);
}

const MAX_HEIGHT = 20000;

function setUp(mount) {
  const section = mount.closest(".h5p-activity");
  const config = JSON.parse(section.querySelector("script[type='application/json']").textContent);
  const status = section.querySelector("[data-h5p-status]");
  const csrf = section.dataset.csrf || "";

  const iframe = document.createElement("iframe");
  iframe.className = "h5p-iframe";
  iframe.title = config.title;
  iframe.setAttribute("sandbox", "allow-scripts allow-same-origin allow-popups");
  iframe.setAttribute("allow", "fullscreen");
  iframe.setAttribute("allowfullscreen", "");
  iframe.setAttribute("referrerpolicy", "no-referrer");
  iframe.style.width = "100%";
  iframe.style.border = "0";
  iframe.style.height = "20rem";

  const post = (url, init) =>
    fetch(url, { credentials: "same-origin", ...init, headers: { "X-CSRFToken": csrf, ...init.headers } });

  const handlers = {
    ready() {
      iframe.contentWindow.postMessage(
        {
          type: "init",
          state: config.signedIn ? config.state : null,
          signedIn: config.signedIn,
          objectIRI: window.location.origin + window.location.pathname,
          largeText: document.documentElement.classList.contains("large-text"),
        },
        config.frameOrigin,
      );
    },
    loaded() {
      mount.dataset.ready = "true";
    },
    resize(message) {
      const height = Number(message.height);
      if (Number.isFinite(height) && height > 0) {
        iframe.style.height = `${Math.min(Math.ceil(height), MAX_HEIGHT)}px`;
      }
    },
    xapi(message) {
      if (!config.signedIn || !message.statement || typeof message.statement !== "object") return;
      const statement = message.statement;
      post(config.statementsUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ content: config.id, lesson: config.lesson, statement }),
      }).then((response) => {
        if (response.ok && statement.result && status) status.textContent = status.dataset.savedText;
      }).catch(() => {});
    },
    state(message) {
      if (!config.signedIn || typeof message.data !== "string") return;
      post(config.stateUrl, {
        method: "POST",
        keepalive: true,
        body: new URLSearchParams({ data: message.data }),
      }).catch(() => {});
    },
  };

  window.addEventListener("message", (event) => {
    if (event.origin !== config.frameOrigin || event.source !== iframe.contentWindow) return;
    const message = event.data;
    if (!message || typeof message !== "object") return;
    const handler = Object.prototype.hasOwnProperty.call(handlers, message.type) && handlers[message.type];
    if (handler) handler(message);
  });
  iframe.src = config.frameUrl;
  mount.append(iframe);
}

ready(() => {
  for (const mount of document.querySelectorAll("[data-h5p-player]")) setUp(mount);
});
