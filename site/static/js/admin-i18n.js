// Wagtail 8 writes two words into its templates as plain English, outside its translations:
// the screen-reader-only "Search" button of the admin's search forms and the "Actions" label of
// the header's button bar. They are put into the staff member's language here; the words come
// from our catalogue (the <script type="application/json"> the admin hook adds).
(function () {
  const data = document.getElementById("admin-i18n");
  if (!data) return;
  const words = JSON.parse(data.textContent);
  const translate = () => {
    document.querySelectorAll('input[type="submit"][value="Search"]').forEach((input) => {
      input.value = words.search;
    });
    document.querySelectorAll('nav[aria-label="Actions"]').forEach((nav) => {
      nav.setAttribute("aria-label", words.actions);
    });
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", translate);
  else translate();
  // Listings and headers are swapped in as the staff member searches or filters.
  document.addEventListener("w-swap:success", translate);
})();
