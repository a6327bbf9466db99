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

  const searchForm = article.querySelector("[data-oh-transcript-search]");
  if (searchForm) {
    const input = searchForm.querySelector("input[type=search]");
    const status = searchForm.querySelector("[data-oh-transcript-status]");
    const results = searchForm.querySelector("[data-oh-transcript-results]");
    searchForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const needle = input.value.trim().toLowerCase();
      results.replaceChildren();
      if (!needle) { status.textContent = ""; return; }
      const found = cues.filter((li) => {
        const text = li.querySelector(".oh-cue-text");
        return text && text.textContent.toLowerCase().includes(needle);
      });
      status.textContent = searchForm.dataset.countTemplate
        ? searchForm.dataset.countTemplate.replace("%s", found.length)
        : String(found.length);
      for (const li of found.slice(0, 50)) {
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
    });
  }
});
