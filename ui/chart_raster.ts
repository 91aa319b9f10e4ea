/**
 * Draws a dense chart's run lines into one image on the server: anti-aliased, about one CSS pixel
 * wide, each run in its colour with an opacity that falls as runs grow, composited in order. The
 * browser then paints one small PNG instead of thousands of SVG paths. Pure apart from the
 * platform's zlib (png.ts).
 */
import type { ChartModel } from "./chart_model.ts";
import { base64, encodePng } from "./png.ts";

/** Device pixels per CSS pixel of the image: sharp on high-density screens while lines are few. */
export function rasterScale(lines: number): number {
  // Past a few hundred overlaid lines the picture is a density, not lines: draw a quarter of
  // the pixels.
  return lines > 300 ? 1 : 2;
}

function rgb(hex: string): [number, number, number] {
  const m = /^#([0-9a-f]{6})$/i.exec(hex);
  const n = m ? parseInt(m[1], 16) : 0x777777;
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** A premultiplied float RGBA canvas with source-over compositing. */
class Canvas {
  readonly w: number;
  readonly h: number;
  readonly px: Float32Array;
  constructor(w: number, h: number) {
    this.w = w;
    this.h = h;
    this.px = new Float32Array(w * h * 4);
  }
  /** Straight-alpha RGBA bytes. */
  bytes(): Uint8Array {
    const out = new Uint8Array(this.px.length), p = this.px;
    for (let i = 0; i < out.length; i += 4) {
      const a = p[i + 3];
      if (a <= 0) continue;
      out[i] = Math.round(p[i] / a);
      out[i + 1] = Math.round(p[i + 1] / a);
      out[i + 2] = Math.round(p[i + 2] / a);
      out[i + 3] = Math.round(a * 255);
    }
    return out;
  }
}

/** One line's paint: colour channels and opacity. */
interface Paint {
  r: number;
  g: number;
  b: number;
  a: number;
}

function blend(cv: Canvas, x: number, y: number, c: Paint, cover: number): void {
  if (x < 0 || y < 0 || x >= cv.w || y >= cv.h) return;
  const a = c.a * cover, k = 1 - a, p = cv.px, o = (y * cv.w + x) * 4;
  p[o] = c.r * a + p[o] * k;
  p[o + 1] = c.g * a + p[o + 1] * k;
  p[o + 2] = c.b * a + p[o + 2] * k;
  p[o + 3] = a + p[o + 3] * k;
}

// A line of half-width `hw` from (x0, y0) to (x1, y1): per step of the major axis, the covered
// fraction of each pixel across it.
function line(
  cv: Canvas,
  ax: number,
  ay: number,
  bx: number,
  by: number,
  hw: number,
  c: Paint,
): void {
  const steep = Math.abs(by - ay) > Math.abs(bx - ax);
  let x0 = steep ? ay : ax, y0 = steep ? ax : ay, x1 = steep ? by : bx, y1 = steep ? bx : by;
  if (x0 > x1) {
    let t = x0;
    x0 = x1;
    x1 = t;
    t = y0;
    y0 = y1;
    y1 = t;
  }
  const dx = x1 - x0, slope = dx === 0 ? 0 : (y1 - y0) / dx;
  const w = hw * Math.sqrt(1 + slope * slope);
  const from = Math.max(0, Math.round(x0));
  const to = Math.min(steep ? cv.h - 1 : cv.w - 1, Math.max(from, Math.round(x1) - 1));
  const across = steep ? cv.w : cv.h, px = cv.px;
  // Stride between neighbours across the line, and between steps along it.
  const sAcross = steep ? 4 : cv.w * 4, sAlong = steep ? cv.w * 4 : 4;
  for (let x = from; x <= to; x++) {
    const mid = y0 + slope * (x + 0.5 - x0);
    const lo = mid - w, hi = mid + w;
    const first = Math.max(0, Math.floor(lo)), end = Math.min(across, Math.ceil(hi));
    for (let p = first; p < end; p++) {
      const cover = (hi < p + 1 ? hi : p + 1) - (lo > p ? lo : p);
      if (cover <= 0) continue;
      const alpha = c.a * (cover > 1 ? 1 : cover), k = 1 - alpha;
      const o = x * sAlong + p * sAcross;
      px[o] = c.r * alpha + px[o] * k;
      px[o + 1] = c.g * alpha + px[o + 1] * k;
      px[o + 2] = c.b * alpha + px[o + 2] * k;
      px[o + 3] = alpha + px[o + 3] * k;
    }
  }
}

function dot(cv: Canvas, cx: number, cy: number, r: number, c: Paint) {
  for (let y = Math.floor(cy - r); y <= Math.ceil(cy + r); y++) {
    for (let x = Math.floor(cx - r); x <= Math.ceil(cx + r); x++) {
      const d = Math.hypot(x + 0.5 - cx, y + 0.5 - cy);
      blend(cv, x, y, c, Math.min(1, Math.max(0, r + 0.5 - d)));
    }
  }
}

/** The opacity of each of `n` overlaid run lines. */
export function lineAlpha(n: number): number {
  return Math.min(0.9, Math.max(0.18, 3 / Math.sqrt(Math.max(1, n))));
}

/**
 * The model's run lines (not group aggregates) drawn over its plot area, as a PNG data: URI
 * covering exactly `model.plot`.
 */
export async function rasterLines(model: ChartModel, scale?: number): Promise<string> {
  const { left, top, right, bottom } = model.plot;
  const runs = model.lines.filter((l) => !l.strong);
  scale ??= rasterScale(runs.length);
  const cv = new Canvas(Math.ceil((right - left) * scale), Math.ceil((bottom - top) * scale));
  const a = lineAlpha(runs.length);
  const hw = 0.6 * scale;
  for (const l of runs) {
    const [r, g, b] = rgb(l.color);
    const c: Paint = { r, g, b, a };
    const p = l.px;
    let alone = true;
    for (let i = 0; i + 1 < p.length; i += 2) {
      const x = (p[i] - left) * scale, y = (p[i + 1] - top) * scale;
      const nx = (p[i + 2] - left) * scale, ny = (p[i + 3] - top) * scale;
      if (i + 3 < p.length && Number.isFinite(nx) && Number.isFinite(x)) {
        line(cv, x, y, nx, ny, hw, c);
        alone = false;
      } else if (Number.isFinite(x)) {
        if (alone) dot(cv, x, y, 2.2 * scale, c);
        alone = true;
      } else alone = true;
    }
  }
  const png = await encodePng(cv.bytes(), cv.w, cv.h);
  return `data:image/png;base64,${base64(png)}`;
}
