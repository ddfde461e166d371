/**
 * A tiny rasteriser that draws filled shapes straight into an RGB Float32Array (internal: not
 * re-exported). Coordinates are pixels, pixel (x, y) covering [x, x + 1) × [y, y + 1); with
 * antialiasing, coverage ramps over one pixel across the shape's edge.
 */

/** An RGB float image `[height, width, 3]`. */
export interface RgbImage {
  data: Float32Array;
  width: number;
  height: number;
  antialias: boolean;
}

/**
 * Fills the image with a vertical gradient from `top` to `bottom`.
 *
 * @example
 * ```ts
 * const image: RgbImage = { data: new Float32Array(32 * 48 * 3), width: 48, height: 32, antialias: true };
 * fillGradient(image, [0.4, 0.4, 0.5], [0.3, 0.3, 0.35]);
 * ```
 */
export function fillGradient(
  image: RgbImage,
  top: readonly number[],
  bottom: readonly number[],
): void {
  const { data, width, height } = image;
  for (let y = 0; y < height; y++) {
    const t = height > 1 ? y / (height - 1) : 0;
    const r = top[0] + (bottom[0] - top[0]) * t;
    const g = top[1] + (bottom[1] - top[1]) * t;
    const b = top[2] + (bottom[2] - top[2]) * t;
    for (let x = 0, i = y * width * 3; x < width; x++, i += 3) {
      data[i] = r;
      data[i + 1] = g;
      data[i + 2] = b;
    }
  }
}

/**
 * Fills the capsule (all points within `radius` of the segment a–b).
 *
 * @example
 * ```ts
 * declare const image: RgbImage;
 * fillCapsule(image, 10, 10, 30, 20, 3, [0.9, 0.7, 0.6]);
 * ```
 */
export function fillCapsule(
  image: RgbImage,
  ax: number,
  ay: number,
  bx: number,
  by: number,
  radius: number,
  color: readonly number[],
): void {
  const { data, width, height, antialias } = image;
  const reach = radius + 1;
  const x0 = Math.max(0, Math.floor(Math.min(ax, bx) - reach));
  const x1 = Math.min(width - 1, Math.ceil(Math.max(ax, bx) + reach));
  const y0 = Math.max(0, Math.floor(Math.min(ay, by) - reach));
  const y1 = Math.min(height - 1, Math.ceil(Math.max(ay, by) + reach));
  if (x0 > x1 || y0 > y1) return;
  const dx = bx - ax;
  const dy = by - ay;
  const length2 = dx * dx + dy * dy;
  const inverse = length2 > 1e-12 ? 1 / length2 : 0;
  const outer = antialias ? (radius + 0.5) * (radius + 0.5) : radius * radius;
  const inner = antialias ? Math.max(0, radius - 0.5) ** 2 : outer;
  const r = color[0];
  const g = color[1];
  const b = color[2];
  for (let y = y0; y <= y1; y++) {
    const py = y + 0.5 - ay;
    let i = (y * width + x0) * 3;
    for (let x = x0; x <= x1; x++, i += 3) {
      const px = x + 0.5 - ax;
      let t = (px * dx + py * dy) * inverse;
      t = t < 0 ? 0 : t > 1 ? 1 : t;
      const ex = px - t * dx;
      const ey = py - t * dy;
      const d2 = ex * ex + ey * ey;
      if (d2 >= outer) continue;
      if (d2 <= inner) {
        data[i] = r;
        data[i + 1] = g;
        data[i + 2] = b;
      } else {
        const a = radius + 0.5 - Math.sqrt(d2);
        data[i] += (r - data[i]) * a;
        data[i + 1] += (g - data[i + 1]) * a;
        data[i + 2] += (b - data[i + 2]) * a;
      }
    }
  }
}

/**
 * Fills the ellipse with centre (cx, cy), semi-axes `rx` (along direction `angle`) and `ry`.
 *
 * @example
 * ```ts
 * declare const image: RgbImage;
 * fillEllipse(image, 24, 16, 6, 4, Math.PI / 6, [0.9, 0.7, 0.6]);
 * ```
 */
export function fillEllipse(
  image: RgbImage,
  cx: number,
  cy: number,
  rx: number,
  ry: number,
  angle: number,
  color: readonly number[],
): void {
  const { data, width, height, antialias } = image;
  const reach = Math.max(rx, ry) + 1;
  const x0 = Math.max(0, Math.floor(cx - reach));
  const x1 = Math.min(width - 1, Math.ceil(cx + reach));
  const y0 = Math.max(0, Math.floor(cy - reach));
  const y1 = Math.min(height - 1, Math.ceil(cy + reach));
  if (x0 > x1 || y0 > y1 || rx <= 0 || ry <= 0) return;
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const ia = 1 / rx;
  const ib = 1 / ry;
  const ia2 = ia * ia;
  const ib2 = ib * ib;
  const r = color[0];
  const g = color[1];
  const b = color[2];
  // Squared normalised radius beyond which coverage is 0, and below which it is 1.
  const minor = Math.min(rx, ry);
  const major = Math.max(rx, ry);
  const outer = antialias ? ((major + 0.5) / major) ** 2 : 1;
  const inner = antialias ? Math.max(0, (minor - 0.5) / minor) ** 2 : 1;
  for (let y = y0; y <= y1; y++) {
    const py = y + 0.5 - cy;
    let i = (y * width + x0) * 3;
    for (let x = x0; x <= x1; x++, i += 3) {
      const px = x + 0.5 - cx;
      const u = px * c + py * s;
      const v = -px * s + py * c;
      const q2 = u * u * ia2 + v * v * ib2;
      if (q2 >= outer) continue;
      let a: number;
      if (q2 <= inner) a = 1;
      else {
        // Distance to the edge ≈ (q − 1) / |∇q|, q = normalised radius.
        const q = Math.sqrt(q2);
        const gu = u * ia2;
        const gv = v * ib2;
        const gradient = Math.sqrt(gu * gu + gv * gv) / q;
        a = 0.5 - (q - 1) / gradient;
        if (a <= 0) continue;
        if (a > 1) a = 1;
      }
      data[i] += (r - data[i]) * a;
      data[i + 1] += (g - data[i + 1]) * a;
      data[i + 2] += (b - data[i + 2]) * a;
    }
  }
}

/**
 * Fills a convex polygon (vertices in either winding order, as `[x0, y0, x1, y1, …]`).
 *
 * @example
 * ```ts
 * declare const image: RgbImage;
 * fillConvexPolygon(image, [10, 10, 30, 10, 34, 40, 6, 40], [0.1, 0.1, 0.2]);
 * ```
 */
export function fillConvexPolygon(
  image: RgbImage,
  points: readonly number[],
  color: readonly number[],
): void {
  const { data, width, height, antialias } = image;
  const n = points.length / 2;
  let area = 0;
  for (let k = 0; k < n; k++) {
    const j = (k + 1) % n;
    area += points[2 * k] * points[2 * j + 1] - points[2 * j] * points[2 * k + 1];
  }
  const orientation = area >= 0 ? 1 : -1;
  // Inward edge normals (unit) and offsets: distance inside = nx·x + ny·y + d.
  const edges: number[] = [];
  let minX = Infinity,
    maxX = -Infinity,
    minY = Infinity,
    maxY = -Infinity;
  for (let k = 0; k < n; k++) {
    const j = (k + 1) % n;
    const ex = points[2 * j] - points[2 * k];
    const ey = points[2 * j + 1] - points[2 * k + 1];
    const length = Math.hypot(ex, ey) || 1;
    const nx = (-ey / length) * orientation;
    const ny = (ex / length) * orientation;
    edges.push(nx, ny, -(nx * points[2 * k] + ny * points[2 * k + 1]));
    minX = Math.min(minX, points[2 * k]);
    maxX = Math.max(maxX, points[2 * k]);
    minY = Math.min(minY, points[2 * k + 1]);
    maxY = Math.max(maxY, points[2 * k + 1]);
  }
  const x0 = Math.max(0, Math.floor(minX - 1));
  const x1 = Math.min(width - 1, Math.ceil(maxX + 1));
  const y0 = Math.max(0, Math.floor(minY - 1));
  const y1 = Math.min(height - 1, Math.ceil(maxY + 1));
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      let inside = Infinity;
      for (let k = 0; k < edges.length; k += 3)
        inside = Math.min(inside, edges[k] * (x + 0.5) + edges[k + 1] * (y + 0.5) + edges[k + 2]);
      const a = antialias ? Math.min(1, inside + 0.5) : inside >= 0 ? 1 : 0;
      if (a <= 0) continue;
      const i = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) data[i + c] += (color[c] - data[i + c]) * a;
    }
  }
}
