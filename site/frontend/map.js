// 辽海往事 map of interview places (Leaflet). The basemap is our own: the outline of Liaoning and
// its cities (site/static/build/liaoning.geojson, written by build-basemap.js at build time), so
// the map needs no tile server; an operator may still configure one (ORAL_HISTORY_TILE_URL),
// drawn under the outline. Each place is one marker: a focusable button named after the place
// and its number of interviews, whose popup lists the interviews. The same places are listed
// below the map for readers who do not use it.
import L from "leaflet";
import "leaflet/dist/leaflet.css";

function ready(fn) {
  if (document.readyState !== "loading") fn();
  else document.addEventListener("DOMContentLoaded", fn);
}

const LIAONING = [[38.7, 118.8], [43.5, 125.8]];

function escapeHtml(text) {
  const div = document.createElement("div");
  div.textContent = text;
  return div.innerHTML;
}

function popupContent(place) {
  const box = document.createElement("div");
  const heading = document.createElement("p");
  heading.className = "oh-popup-title";
  heading.textContent = place.label;
  const list = document.createElement("ul");
  for (const entry of place.entries) {
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = entry.url;
    link.textContent = entry.text;
    item.append(link);
    list.append(item);
  }
  box.append(heading, list);
  return box;
}

function drawBasemap(map, element, tiled) {
  const url = element.dataset.basemapUrl;
  if (!url) return Promise.resolve();
  return fetch(url, { credentials: "same-origin" })
    .then((response) => (response.ok ? response.json() : null))
    .then((data) => {
      if (!data) return;
      const cities = data.features.filter((f) => f.properties.kind === "city");
      // The province's outline is the cities' outer edge: a wide stroke under the cities,
      // whose inner half their fill covers, leaves a border only where no city is beyond.
      L.geoJSON(cities, {
        interactive: false,
        style: { color: "#5b4636", weight: tiled ? 2 : 5, fill: false },
      }).addTo(map);
      L.geoJSON(cities, {
        interactive: false,
        style: {
          color: "#8a8f98", weight: 1, fillColor: "#fbf7ee", fillOpacity: tiled ? 0.15 : 1,
        },
      }).addTo(map);
      for (const city of cities) {
        const [lng, lat] = city.properties.label;
        const label = L.marker([lat, lng], {
          interactive: false, keyboard: false,
          icon: L.divIcon({ className: "oh-city-label", html: "", iconSize: null }),
        }).addTo(map).getElement();
        const text = document.createElement("span");
        text.textContent = city.properties.name;
        label.setAttribute("aria-hidden", "true");
        label.append(text);
      }
      map.getContainer().dataset.basemap = String(cities.length);
    })
    .catch(() => {});
}

ready(() => {
  const element = document.getElementById("oh-map");
  const data = document.getElementById("oh-map-places");
  if (!element || !data) return;
  const places = JSON.parse(data.textContent);
  const tiled = Boolean(element.dataset.tileUrl);
  const still = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  const map = L.map(element, {
    keyboard: true, zoomControl: false, minZoom: 5, maxZoom: 13,
    fadeAnimation: !still, zoomAnimation: !still, markerZoomAnimation: !still,
  });
  L.control.zoom({
    zoomInTitle: element.dataset.labelZoomIn || "+",
    zoomOutTitle: element.dataset.labelZoomOut || "−",
  }).addTo(map);
  map.fitBounds(LIAONING);
  if (tiled) {
    L.tileLayer(element.dataset.tileUrl, {
      maxZoom: 18, attribution: element.dataset.tileAttribution || "",
    }).addTo(map);
  }
  drawBasemap(map, element, tiled);

  const bounds = [];
  let opener = null;
  places.forEach((place, index) => {
    const marker = L.marker([place.lat, place.lng], {
      keyboard: true,
      title: place.label,
      riseOnHover: true,
      icon: L.divIcon({
        className: "oh-marker",
        html: `<span aria-hidden="true">${place.entries.length}</span>`,
        iconSize: [34, 34],
        iconAnchor: [17, 17],
        popupAnchor: [0, -17],
      }),
    }).addTo(map);
    const button = marker.getElement();
    button.setAttribute("aria-label", place.label);
    button.setAttribute("aria-expanded", "false");
    button.dataset.place = String(index + 1);
    // Leaflet opens the popup on Enter; a button also answers to Space.
    button.addEventListener("keydown", (event) => {
      if (event.key === " ") {
        event.preventDefault();
        marker.openPopup();
      }
    });
    marker.bindPopup(() => popupContent(place), { autoPanPadding: [20, 20] });
    marker.on("popupopen", (event) => {
      opener = button;
      button.setAttribute("aria-expanded", "true");
      const popup = event.popup.getElement();
      const close = popup.querySelector(".leaflet-popup-close-button");
      if (close && element.dataset.labelClose) close.setAttribute("aria-label", element.dataset.labelClose);
      const first = popup.querySelector(".leaflet-popup-content a");
      if (first) first.focus({ preventScroll: true });
    });
    marker.on("popupclose", () => {
      button.setAttribute("aria-expanded", "false");
      if (opener === button && element.contains(document.activeElement || null)) button.focus();
    });
    bounds.push([place.lat, place.lng]);
  });

  // Escape closes an open popup from wherever focus is inside the map, back to its marker.
  element.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || !map._popup || !map.hasLayer(map._popup)) return;
    const back = opener;
    map.closePopup();
    if (back) back.focus();
  });

  if (bounds.length > 1) map.fitBounds(bounds, { padding: [40, 40], maxZoom: 8 });
  else if (bounds.length === 1) map.setView(bounds[0], 8);
  if (element.dataset.basemapAttribution) {
    map.attributionControl.addAttribution(escapeHtml(element.dataset.basemapAttribution));
  }
  element.dataset.ready = String(places.length);
});
