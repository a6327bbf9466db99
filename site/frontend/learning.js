// Lesson pages: report progress to the server as events with their own ids. Events wait in
// localStorage until the server has accepted them, so a dropped connection or a closed tab
// loses nothing; the server counts each id once. Time is reported only while the page is
// visible and the learner active (the server measures the time between events by its own
// clock, capped per event), plus one event as the page is hidden or left; media only for
// ranges really played.

const HEARTBEAT_MS = 15000;
const IDLE_MS = 60000;
const FLUSH_MS = 10000;

function ready(fn) {
  if (document.readyState !== "loading") fn();
  else document.addEventListener("DOMContentLoaded", fn);
}

function uuid() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  return "10000000-1000-4000-8000-100000000000".replace(/[018]/g, (c) =>
    (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16));
}

// After a quiz is checked (htmx swaps the form for its result), focus moves to the result so
// it is read out and the keyboard continues from there, not from the top of the page.
document.addEventListener("htmx:afterSettle", () => {
  const result = document.querySelector("[data-focus-result]");
  if (!result) return;
  result.removeAttribute("data-focus-result");
  result.focus();
});

ready(() => {
  const article = document.querySelector("article[data-lesson]");
  if (!article) return;
  const lesson = parseInt(article.dataset.lesson, 10);
  const key = `liaotu.progress.${article.dataset.user}`;
  const url = article.dataset.progressUrl;
  const csrf = article.dataset.csrf;
  const status = article.querySelector("[data-lesson-status]");
  const problem = article.querySelector("[data-lesson-error]");
  let sending = false;
  let backoff = 1000;

  const load = () => { try { return JSON.parse(localStorage.getItem(key) || "[]"); } catch (e) { return []; } };
  const save = (queue) => { try { localStorage.setItem(key, JSON.stringify(queue)); } catch (e) { /* full: keep in memory */ } };

  function push(kind, data, keepalive) {
    const queue = load();
    queue.push({ id: uuid(), lesson, kind, data: data || {} });
    save(queue);
    flush(keepalive);
  }

  async function flush(keepalive) {
    const queue = load();
    if (!queue.length || sending) return;
    sending = true;
    try {
      const response = await fetch(url, {
        method: "POST",
        credentials: "same-origin",
        keepalive: Boolean(keepalive),
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify({ events: queue.slice(0, 50) }),
      });
      if (response.status === 401 || response.status === 403) return; // signed out: keep for later
      const body = await response.json();
      const accepted = new Set(body.accepted || []);
      // A refused event (422) is dropped too, so one bad event cannot block the queue.
      const refused = response.status === 422 ? queue.slice(accepted.size, accepted.size + 1).map((e) => e.id) : [];
      save(load().filter((e) => !accepted.has(e.id) && !refused.includes(e.id)));
      // Say why progress was refused (e.g. a course to finish first), in the reader's language.
      if (response.status === 422 && problem && body.detail) {
        problem.textContent = body.detail;
        problem.hidden = false;
      }
      const state = body.lessons && body.lessons[lesson];
      if (state && state.lesson_completed && status) {
        status.textContent = status.dataset.doneText || "✓";
        article.dataset.completed = "true";
      }
      backoff = 1000;
    } catch (e) {
      setTimeout(() => flush(), backoff);
      backoff = Math.min(backoff * 2, 60000);
    } finally {
      sending = false;
    }
    // Events pushed while this request was on its way go now, not with the next push.
    if (backoff === 1000 && load().length && !keepalive) setTimeout(() => flush(), 0);
  }

  // Activity: time counts only while visible and recently active (or media playing).
  let lastActive = Date.now();
  for (const name of ["pointermove", "keydown", "scroll", "touchstart"]) {
    window.addEventListener(name, () => { lastActive = Date.now(); }, { passive: true });
  }
  const media = article.querySelector("[data-lesson-media]");
  setInterval(() => {
    const playing = media && !media.paused;
    // Working inside an embedded activity (H5P) sends no events to this page: its frame
    // having the focus counts as being active.
    if (document.activeElement && document.activeElement.tagName === "IFRAME") lastActive = Date.now();
    if (document.visibilityState === "visible" && (playing || Date.now() - lastActive < IDLE_MS)) {
      push("heartbeat");
    }
  }, HEARTBEAT_MS);

  if (media) {
    let start = null;
    let ranges = [];
    const close = () => {
      if (start !== null && media.currentTime > start) ranges.push([start, media.currentTime]);
      start = null;
    };
    const report = () => {
      close();
      if (!media.paused && !media.seeking) start = media.currentTime;
      if (ranges.length) {
        push("media", { ranges, position: media.currentTime });
        ranges = [];
      }
    };
    media.addEventListener("playing", () => { start = media.currentTime; });
    media.addEventListener("seeking", close);
    media.addEventListener("seeked", () => { if (!media.paused) start = media.currentTime; });
    media.addEventListener("pause", report);
    media.addEventListener("ended", report);
    setInterval(() => { if (!media.paused) report(); }, FLUSH_MS);
    const position = parseFloat(article.dataset.position || "0");
    if (position > 0) {
      media.addEventListener("loadedmetadata", () => { media.currentTime = position; }, { once: true });
    }
  }

  const done = article.querySelector("[data-lesson-done]");
  if (done) done.addEventListener("click", () => { push("manual"); done.disabled = true; });

  // Leaving or hiding the page ends the stretch of time (counted up to now if the learner was
  // active); coming back starts a new one, so time away is not counted.
  const leave = () => {
    if (Date.now() - lastActive < IDLE_MS || (media && !media.paused)) push("heartbeat", {}, true);
    else flush(true);
  };
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") leave();
    else push("view");
  });
  window.addEventListener("pagehide", leave);
  window.addEventListener("online", () => flush());
  push("view");
});
