// Booking pages: the "copy" button next to the private calendar address (/booking/mine/).
// Progressive enhancement: without JavaScript the address is selectable text in a read-only
// field and the button stays hidden. Focus after htmx swaps needs no code here: the swapped
// grids carry an `autofocus` heading, which htmx focuses.

function ready(fn) {
  if (document.readyState !== "loading") fn();
  else document.addEventListener("DOMContentLoaded", fn);
}

async function copyText(field) {
  field.focus();
  field.select();
  try {
    await navigator.clipboard.writeText(field.value);
    return true;
  } catch (refused) {
    // Older browsers, or a clipboard the page may not write to: copy the selection instead.
    return document.execCommand("copy");
  }
}

ready(() => {
  document.querySelectorAll("button[data-copy-target]").forEach((button) => {
    const field = document.getElementById(button.dataset.copyTarget);
    const status = document.getElementById(button.dataset.copyStatus);
    if (!field) return;
    field.addEventListener("focus", () => field.select());
    button.hidden = false;
    button.addEventListener("click", async () => {
      const copied = await copyText(field);
      if (status) status.textContent = copied ? button.dataset.copied : button.dataset.copyFailed;
      button.focus();
    });
  });
});
