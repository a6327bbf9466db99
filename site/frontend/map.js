// 辽海往事 map of interview places and index GPS points (Leaflet). Tiles come from the configured
// tile server; with none configured the markers stand on a plain background.
import L from "leaflet";
import "leaflet/dist/leaflet.css";
import markerIcon from "leaflet/dist/images/marker-icon.png";
import markerIcon2x from "leaflet/dist/images/marker-icon-2x.png";
import markerShadow from "leaflet/dist/images/marker-shadow.png";

function ready(fn) {
  if (document.readyState !== "loading") fn();
  else document.addEventListener("DOMContentLoaded", fn);
}

ready(() => {
  const element = document.getElementById("oh-map");
  const data = document.getElementById("oh-map-points");
  if (!element || !data) return;
  const points = JSON.parse(data.textContent);
  const icon = L.icon({
    iconUrl: markerIcon, iconRetinaUrl: markerIcon2x, shadowUrl: markerShadow,
    iconSize: [25, 41], iconAnchor: [12, 41], popupAnchor: [1, -34], shadowSize: [41, 41],
  });
  const map = L.map(element, { keyboard: true }).setView([41.8, 123.4], 6);
  if (element.dataset.tileUrl) {
    L.tileLayer(element.dataset.tileUrl, {
      maxZoom: 18, attribution: element.dataset.tileAttribution || "",
    }).addTo(map);
  }
  const bounds = [];
  for (const point of points) {
    const link = document.createElement("a");
    link.href = `/memories/i/${point.interview}/` + (point.t != null ? `?t=${Math.floor(point.t)}#player` : "");
    link.textContent = `${point.label} — ${point.title}`;
    L.marker([point.lat, point.lng], { icon, title: point.label, alt: point.label })
      .addTo(map).bindPopup(link);
    bounds.push([point.lat, point.lng]);
  }
  if (bounds.length > 1) map.fitBounds(bounds, { padding: [30, 30], maxZoom: 12 });
  else if (bounds.length === 1) map.setView(bounds[0], 10);
  element.dataset.ready = String(points.length);
});
