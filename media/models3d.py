"""Reading 3D models (STL, OBJ, 3MF, GLB) into triangles, and drawing a preview picture.

Only what the platform needs: triangle count and bounding box (for the maker space's
"does it fit the printer" check) and a shaded preview image for galleries.
"""

from __future__ import annotations

import json
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from defusedxml import ElementTree
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw

MAX_TRIANGLES = 20_000_000
PREVIEW_TRIANGLES = 150_000


class ModelError(ValueError):
    pass


@dataclass
class Mesh:
    triangles: np.ndarray  # (n, 3, 3) float32 corner coordinates

    @property
    def triangle_count(self) -> int:
        return int(self.triangles.shape[0])

    @property
    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        corners = self.triangles.reshape(-1, 3)
        return corners.min(axis=0), corners.max(axis=0)


def _mesh(triangles: np.ndarray) -> Mesh:
    if triangles.size == 0:
        raise ModelError(_("The model has no triangles."))
    if triangles.shape[0] > MAX_TRIANGLES:
        raise ModelError(_("The model has too many triangles."))
    if not np.isfinite(triangles).all():
        raise ModelError(_("The model has invalid coordinates."))
    return Mesh(triangles.astype(np.float32))


def _indexed(vertices: np.ndarray, faces: np.ndarray) -> Mesh:
    if faces.size and (faces.min() < 0 or faces.max() >= len(vertices)):
        raise ModelError(_("The model refers to corners that do not exist."))
    return _mesh(vertices[faces])


def load_stl(data: bytes) -> Mesh:
    if len(data) >= 84:
        (count,) = struct.unpack("<I", data[80:84])
        if len(data) == 84 + 50 * count:
            records = np.frombuffer(
                data[84:], dtype=np.dtype([("n", "<f4", 3), ("v", "<f4", (3, 3)), ("a", "<u2")])
            )
            return _mesh(records["v"].copy())
    corners = [
        [float(x) for x in line.split()[1:4]]
        for line in data.decode("utf-8", "replace").splitlines()
        if line.strip().startswith("vertex")
    ]
    if len(corners) % 3:
        raise ModelError(_("The STL file is damaged."))
    return _mesh(np.array(corners, dtype=np.float32).reshape(-1, 3, 3))


def load_obj(data: bytes) -> Mesh:
    vertices, faces = [], []
    for raw in data.decode("utf-8", "replace").splitlines():
        parts = raw.split()
        if not parts:
            continue
        if parts[0] == "v" and len(parts) >= 4:
            vertices.append([float(p) for p in parts[1:4]])
        elif parts[0] == "f" and len(parts) >= 4:
            # "f 1/2/3 4/5/6 ..." — keep the vertex index; negative indices count from the end.
            indices = [int(p.split("/")[0]) for p in parts[1:]]
            indices = [i - 1 if i > 0 else len(vertices) + i for i in indices]
            faces.extend(
                [indices[0], indices[k], indices[k + 1]] for k in range(1, len(indices) - 1)
            )
    return _indexed(np.array(vertices, dtype=np.float32), np.array(faces, dtype=np.int64))


def load_3mf(path: Path) -> Mesh:
    try:
        with zipfile.ZipFile(path) as package:
            name = next(n for n in package.namelist() if n.lower() == "3d/3dmodel.model")
            info = package.getinfo(name)
            if info.file_size > 512 * 1024 * 1024:
                raise ModelError(_("The model is too large."))
            root = ElementTree.fromstring(package.read(name))
    except (zipfile.BadZipFile, StopIteration, ElementTree.ParseError) as error:
        raise ModelError(_("The 3MF package is damaged.")) from error
    triangles = []
    for mesh in root.iter():
        if not mesh.tag.endswith("mesh"):
            continue
        vertices = np.array(
            [[float(v.get(a, 0)) for a in "xyz"] for v in mesh.iter() if v.tag.endswith("vertex")],
            dtype=np.float32,
        )
        faces = np.array(
            [
                [int(t.get("v1")), int(t.get("v2")), int(t.get("v3"))]
                for t in mesh.iter()
                if t.tag.endswith("triangle")
            ],
            dtype=np.int64,
        )
        if len(faces):
            triangles.append(_indexed(vertices, faces).triangles)
    if not triangles:
        raise ModelError(_("The model has no triangles."))
    return _mesh(np.concatenate(triangles))


_COMPONENTS = {5120: "i1", 5121: "u1", 5122: "<i2", 5123: "<u2", 5125: "<u4", 5126: "<f4"}
_WIDTH = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4}


def load_glb(data: bytes) -> Mesh:
    try:
        magic, version, _length = struct.unpack("<4sII", data[:12])
        json_length, json_type = struct.unpack("<I4s", data[12:20])
        document = json.loads(data[20 : 20 + json_length])
        offset = 20 + json_length
        bin_length, _bin_type = struct.unpack("<I4s", data[offset : offset + 8])
        binary = data[offset + 8 : offset + 8 + bin_length]
    except (struct.error, ValueError) as error:
        raise ModelError(_("The GLB file is damaged.")) from error
    if magic != b"glTF" or version != 2 or json_type != b"JSON":
        raise ModelError(_("The GLB file is damaged."))

    def accessor(index: int) -> np.ndarray:
        spec = document["accessors"][index]
        view = document["bufferViews"][spec["bufferView"]]
        dtype = np.dtype(_COMPONENTS[spec["componentType"]])
        width = _WIDTH[spec["type"]]
        start = view.get("byteOffset", 0) + spec.get("byteOffset", 0)
        count = spec["count"] * width
        values = np.frombuffer(binary, dtype=dtype, count=count, offset=start)
        return values.reshape(-1, width) if width > 1 else values

    triangles = []
    try:
        for mesh in document.get("meshes", []):
            for primitive in mesh.get("primitives", []):
                if primitive.get("mode", 4) != 4:
                    continue
                positions = accessor(primitive["attributes"]["POSITION"]).astype(np.float32)
                if "indices" in primitive:
                    faces = accessor(primitive["indices"]).astype(np.int64).reshape(-1, 3)
                else:
                    faces = np.arange(len(positions)).reshape(-1, 3)
                triangles.append(_indexed(positions, faces).triangles)
    except (KeyError, IndexError, ValueError, TypeError) as error:
        raise ModelError(_("The GLB file is damaged.")) from error
    if not triangles:
        raise ModelError(_("The model has no triangles."))
    return _mesh(np.concatenate(triangles))


def load(path: Path, fmt: str) -> Mesh:
    if fmt == "3mf":
        return load_3mf(path)
    data = path.read_bytes()
    if fmt == "stl":
        return load_stl(data)
    if fmt == "obj":
        return load_obj(data)
    if fmt == "glb":
        return load_glb(data)
    raise ModelError(_("This type of model is not supported."))


def render_preview(mesh: Mesh, *, size: int = 480) -> Image.Image:
    """A shaded three-quarter view, drawn back to front (painter's algorithm)."""
    triangles = mesh.triangles
    if len(triangles) > PREVIEW_TRIANGLES:
        step = len(triangles) // PREVIEW_TRIANGLES + 1
        triangles = triangles[::step]
    low, high = mesh.bounds
    centred = triangles - (low + high) / 2
    # Rotate: 35° about X (tilt towards the viewer), then 45° about Z; Z is up for printed parts.
    ax, az = np.radians(-55), np.radians(45)
    rot_z = np.array([[np.cos(az), -np.sin(az), 0], [np.sin(az), np.cos(az), 0], [0, 0, 1]])
    rot_x = np.array([[1, 0, 0], [0, np.cos(ax), -np.sin(ax)], [0, np.sin(ax), np.cos(ax)]])
    view = centred @ (rot_x @ rot_z).T
    normals = np.cross(view[:, 1] - view[:, 0], view[:, 2] - view[:, 0])
    lengths = np.linalg.norm(normals, axis=1)
    lengths[lengths == 0] = 1
    light = np.array([0.3, 0.4, 0.85])
    shade = np.abs((normals / lengths[:, None]) @ (light / np.linalg.norm(light)))
    order = np.argsort(view[:, :, 2].mean(axis=1))
    extent = max(float(np.abs(view[:, :, :2]).max()), 1e-6)
    scale = (size * 0.42) / extent
    points = view[:, :, :2] * scale * np.array([1, -1]) + size / 2
    image = Image.new("RGB", (size, size), (243, 245, 247))
    draw = ImageDraw.Draw(image)
    for index in order:
        level = int(70 + 160 * shade[index])
        draw.polygon([tuple(p) for p in points[index]], fill=(level, int(level * 0.55), 40))
    return image
