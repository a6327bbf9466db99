// Plays H5P activities with h5p-standalone (loaded before this file) from our own origin, and
// sends the learner's xAPI statements and unfinished state back to the server. The actor in a
// statement is replaced by the server; this script only forwards what H5P emits.

function ready(fn) {
  if (document.readyState !== "loading") fn();
  else document.addEventListener("DOMContentLoaded", fn);
}

function csrfToken() {
  const match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

ready(() => {
  for (const mount of document.querySelectorAll("[data-h5p-player]")) {
    const section = mount.closest(".h5p-activity");
    const config = JSON.parse(section.querySelector("script[type='application/json']").textContent);
    const status = section.querySelector("[data-h5p-status]");
    const options = {
      id: config.id,
      h5pJsonPath: config.base,
      contentJsonPath: `${config.base}/content`,
      librariesPath: config.libraries,
      frameJs: "/static/build/h5p/frame.bundle.js",
      frameCss: "/static/build/h5p/styles/h5p.css",
      frame: true,
      fullScreen: true,
      copyright: false,
      export: false,
      embed: false,
      icon: false,
    };
    if (config.signedIn) {
      options.user = config.user;
      options.saveFreq = 5;
      // H5P keeps user data per sub-content; an empty entry lets it save the first state.
      options.contentUserData = [config.state ? { state: config.state } : {}];
      options.ajax = { contentUserDataUrl: config.stateUrl };
    }
    new window.H5PStandalone.H5P(mount, options).then(() => {
      const iframe = mount.querySelector("iframe");
      if (iframe) iframe.title = config.title;
      const inner = iframe && iframe.contentWindow;
      // H5P saves its state with jQuery inside the frame: give those requests the CSRF token.
      if (inner && inner.H5P && inner.H5P.jQuery) {
        inner.H5P.jQuery.ajaxSetup({ headers: { "X-CSRFToken": csrfToken() } });
      }
      mount.dataset.ready = "true";
      if (!config.signedIn) return;
      // Save the unfinished activity ourselves (H5P's own saver is not reliable inside the
      // standalone frame): every few seconds when it changed, and when the page is left.
      let last = config.state || "";
      const saveState = () => {
        const instance = inner && inner.H5P && inner.H5P.instances && inner.H5P.instances[0];
        if (!instance || typeof instance.getCurrentState !== "function") return;
        const current = instance.getCurrentState();
        if (current === undefined) return;
        const data = JSON.stringify(current);
        if (data === last) return;
        last = data;
        fetch(config.stateUrl.replace(":dataType", "state").replace(":subContentId", "0"), {
          method: "POST",
          credentials: "same-origin",
          keepalive: true,
          headers: { "X-CSRFToken": csrfToken() },
          body: new URLSearchParams({ data }),
        }).catch(() => { last = ""; });
      };
      setInterval(saveState, 3000);
      window.addEventListener("pagehide", saveState);
      window.H5P.externalDispatcher.on("xAPI", (event) => {
        const statement = event.data.statement;
        fetch(config.statementsUrl, {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
          body: JSON.stringify({ content: config.id, lesson: config.lesson, statement }),
        }).then((response) => {
          if (response.ok && statement.result && status) status.textContent = status.dataset.savedText;
        }).catch(() => {});
      });
    });
  }
});
