// 3D viewer for model works: three.js draws the model the reader uploaded (STL, OBJ, 3MF, GLB)
// and lets them turn and zoom it with the mouse, touch, or the buttons beside it (keyboard).
import * as THREE from "three";
import { OrbitControls } from "three/examples/jsm/controls/OrbitControls.js";
import { STLLoader } from "three/examples/jsm/loaders/STLLoader.js";
import { OBJLoader } from "three/examples/jsm/loaders/OBJLoader.js";
import { ThreeMFLoader } from "three/examples/jsm/loaders/3MFLoader.js";
import { GLTFLoader } from "three/examples/jsm/loaders/GLTFLoader.js";

function parse(format, buffer) {
  if (format === "stl") {
    const geometry = new STLLoader().parse(buffer);
    return new THREE.Mesh(geometry, new THREE.MeshStandardMaterial({ color: 0xc86f2a }));
  }
  if (format === "obj") return new OBJLoader().parse(new TextDecoder().decode(buffer));
  if (format === "3mf") return new ThreeMFLoader().parse(buffer);
  return null; // glb is parsed asynchronously below
}

async function show(container) {
  const canvas = container.querySelector("canvas");
  const status = container.querySelector("[data-viewer-status]");
  const renderer = new THREE.WebGLRenderer({ canvas, antialias: true, preserveDrawingBuffer: true });
  renderer.setSize(canvas.clientWidth, canvas.clientHeight, false);
  const scene = new THREE.Scene();
  scene.background = new THREE.Color(0xf3f5f7);
  scene.add(new THREE.HemisphereLight(0xffffff, 0x444444, 2.5));
  const sun = new THREE.DirectionalLight(0xffffff, 2);
  sun.position.set(1, 2, 3);
  scene.add(sun);
  const camera = new THREE.PerspectiveCamera(45, canvas.clientWidth / canvas.clientHeight, 0.1, 1e6);
  const controls = new OrbitControls(camera, canvas);

  const response = await fetch(container.dataset.modelUrl, { credentials: "same-origin" });
  const buffer = await response.arrayBuffer();
  let object = parse(container.dataset.modelFormat, buffer);
  if (!object) {
    const gltf = await new GLTFLoader().parseAsync(buffer, "");
    object = gltf.scene;
  }
  // Printed parts are modelled Z-up; three.js is Y-up.
  if (container.dataset.modelFormat !== "glb") object.rotation.x = -Math.PI / 2;
  scene.add(object);
  const box = new THREE.Box3().setFromObject(object);
  const size = box.getSize(new THREE.Vector3()).length() || 1;
  const centre = box.getCenter(new THREE.Vector3());
  camera.position.copy(centre).add(new THREE.Vector3(size, size * 0.8, size));
  controls.target.copy(centre);
  controls.update();

  const draw = () => renderer.render(scene, camera);
  controls.addEventListener("change", draw);
  container.querySelectorAll("[data-viewer-action]").forEach((button) => {
    button.addEventListener("click", () => {
      const action = button.dataset.viewerAction;
      const offset = camera.position.clone().sub(controls.target);
      if (action === "left" || action === "right") {
        offset.applyAxisAngle(new THREE.Vector3(0, 1, 0), action === "left" ? -0.3 : 0.3);
      } else {
        offset.multiplyScalar(action === "in" ? 0.8 : 1.25);
      }
      camera.position.copy(controls.target).add(offset);
      controls.update();
      draw();
    });
  });
  draw();
  container.dataset.viewerReady = "true";
  status.textContent = container.dataset.msgReady;
}

document.querySelectorAll("[data-model-url]").forEach((container) => {
  show(container).catch(() => {
    container.querySelector("[data-viewer-status]").textContent = container.dataset.msgFailed;
  });
});
