// 辽海往事 interview page: the transcript follows playback, and clicking a time seeks there.
// Without JavaScript the page still shows the player, the whole transcript and the index.

function ready(fn) {
  if (document.readyState !== "loading") fn();
  else document.addEventListener("DOMContentLoaded", fn);
}

ready(() => {
  const article = document.querySelector("[data-oh-interview]");
  if (!article) return;
  const media = article.querySelector("[data-oh-media]");
  const cueList = article.querySelector("[data-oh-cues]");
  const cues = cueList ? Array.from(cueList.querySelectorAll("li[data-start]")) : [];
  let current = null;

  function seek(seconds) {
    if (!media) return;
    media.currentTime = seconds;
    const playing = media.play();
    if (playing && playing.catch) playing.catch(() => {});
  }

  article.addEventListener("click", (event) => {
    const button = event.target.closest("[data-oh-seek]");
    if (!button) return;
    seek(parseFloat(button.dataset.ohSeek));
  });

  if (media && cues.length) {
    media.addEventListener("timeupdate", () => {
      const t = media.currentTime;
      const hit = cues.find((li) => t >= parseFloat(li.dataset.start) && t < parseFloat(li.dataset.end));
      if (hit === current) return;
      if (current) {
        current.classList.remove("oh-current");
        current.removeAttribute("aria-current");
      }
      current = hit || null;
      if (current) {
        current.classList.add("oh-current");
        current.setAttribute("aria-current", "true");
        const box = cueList.getBoundingClientRect();
        const row = current.getBoundingClientRect();
        if (row.top < box.top || row.bottom > box.bottom) {
          cueList.scrollTop += row.top - box.top - box.height / 3;
        }
      }
    });
  }

  const start = parseFloat(article.dataset.startAt || "0");
  if (media && start > 0) {
    media.addEventListener("loadedmetadata", () => { media.currentTime = start; }, { once: true });
    if (media.readyState >= 1) media.currentTime = start;
  }

  // Captions are on from the start, whatever the browser made of the track's "default".
  if (media) {
    const track = Array.from(media.textTracks || []).find((t) => t.kind === "captions");
    if (track) track.mode = "showing";
  }

  const searchForm = article.querySelector("[data-oh-transcript-search]");
  if (searchForm) setUpTranscriptSearch(searchForm, cues);
});

// Search inside the transcript: every hit is marked in the transcript itself (<mark>, made with
// DOM text nodes, never HTML from the query), "previous/next" step through the hits and the
// count and position are announced; the list under the form still jumps to each line's time.
function setUpTranscriptSearch(form, cues) {
  const input = form.querySelector("input[type=search]");
  const status = form.querySelector("[data-oh-transcript-status]");
  const results = form.querySelector("[data-oh-transcript-results]");
  const nav = form.querySelector("[data-oh-hit-nav]");
  let hits = [];
  let position = -1;
  let lastNeedle = "";
  let linesFound = "";

  function clearMarks() {
    for (const mark of hits) {
      const parent = mark.parentNode;
      if (!parent) continue;
      parent.replaceChild(document.createTextNode(mark.textContent), mark);
      parent.normalize();
    }
    hits = [];
    position = -1;
  }

  function markIn(element, needle) {
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    const nodes = [];
    while (walker.nextNode()) nodes.push(walker.currentNode);
    const found = [];
    for (let node of nodes) {
      let lower = node.data.toLowerCase();
      if (lower.length !== node.data.length) continue; // case folding changed the length
      let at = lower.indexOf(needle);
      while (at !== -1) {
        const hit = node.splitText(at);
        node = hit.splitText(needle.length);
        const mark = document.createElement("mark");
        mark.className = "oh-hit";
        hit.parentNode.replaceChild(mark, hit);
        mark.append(hit);
        found.push(mark);
        lower = node.data.toLowerCase();
        at = lower.indexOf(needle);
      }
    }
    return found;
  }

  function show(index) {
    if (!hits.length) return;
    if (position >= 0) hits[position].classList.remove("oh-hit-current");
    position = (index + hits.length) % hits.length;
    const mark = hits[position];
    mark.classList.add("oh-hit-current");
    mark.scrollIntoView({ block: "nearest" });
    const where = (form.dataset.positionTemplate || "{current}/{total}")
      .replace("{current}", String(position + 1)).replace("{total}", String(hits.length));
    status.textContent = `${linesFound} · ${where}`;
  }

  form.addEventListener("click", (event) => {
    const step = event.target.closest("[data-oh-hit-step]");
    if (step) show(position + parseInt(step.dataset.ohHitStep, 10));
  });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const needle = input.value.trim().toLowerCase();
    if (needle && needle === lastNeedle && hits.length) {
      show(position + 1); // Enter again: the next hit
      return;
    }
    clearMarks();
    results.replaceChildren();
    lastNeedle = needle;
    nav.hidden = true;
    if (!needle) { status.textContent = ""; return; }
    const lines = [];
    for (const li of cues) {
      const text = li.querySelector(".oh-cue-text");
      if (!text) continue;
      const marks = markIn(text, needle);
      if (marks.length) {
        lines.push(li);
        hits.push(...marks);
      }
    }
    linesFound = form.dataset.countTemplate
      ? form.dataset.countTemplate.replace("%s", lines.length)
      : String(lines.length);
    for (const li of lines.slice(0, 50)) {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.ohSeek = li.dataset.start;
      button.textContent = li.querySelector(".timestamp").textContent;
      button.addEventListener("click", () => li.scrollIntoView({ block: "center" }));
      const text = document.createElement("span");
      text.textContent = " " + li.querySelector(".oh-cue-text").textContent.slice(0, 80);
      item.append(button, text);
      results.append(item);
    }
    if (!hits.length) {
      status.textContent = form.dataset.noneText || linesFound;
      return;
    }
    nav.hidden = hits.length < 2;
    show(0);
  });
}

// Listening time, for the library's statistics and the listener's year in review: seconds
// really played (seeks are not listening), sent when playback pauses or the page is left.
ready(() => {
  const article = document.querySelector("[data-oh-interview]");
  if (!article) return;
  // The page is the same for every visitor; the token is asked for only when there is
  // listening to report, once.
  let csrf = null;
  function token() {
    if (!csrf) {
      csrf = fetch(article.dataset.csrfUrl, { credentials: "same-origin" })
        .then((response) => response.json())
        .then((body) => body.token);
    }
    return csrf;
  }
  article.querySelectorAll("[data-played-url]").forEach((player) => {
    let listened = 0;
    let last = null;
    player.addEventListener("timeupdate", () => {
      const t = player.currentTime;
      if (last !== null && !player.paused) {
        const step = t - last;
        if (step > 0 && step < 1.5) listened += step;
      }
      last = t;
    });
    player.addEventListener("seeking", () => { last = null; });
    // Fetched at the first play, so the report on leaving the page need not wait for it.
    player.addEventListener("play", () => { token().catch(() => { csrf = null; }); });
    function report() {
      if (listened < 1) return;
      const seconds = Math.round(listened * 10) / 10;
      listened = 0;
      token()
        .then((value) =>
          fetch(player.dataset.playedUrl, {
            method: "POST",
            credentials: "same-origin",
            keepalive: true,
            headers: { "Content-Type": "application/json", "X-CSRFToken": value },
            body: JSON.stringify({ seconds }),
          }),
        )
        .catch(() => { csrf = null; });
    }
    player.addEventListener("pause", report);
    player.addEventListener("ended", report);
    window.addEventListener("pagehide", report);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden") report();
    });
  });
});
