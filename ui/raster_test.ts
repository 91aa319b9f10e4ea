import assert from "node:assert/strict";
import { layoutChart } from "./chart_model.ts";
import { lineAlpha, rasterLines } from "./chart_raster.ts";
import { encodePng } from "./png.ts";

// Decodes our own PNGs (RGBA, one IDAT, Sub filter) back to pixels.
async function decodePng(png: Uint8Array): Promise<{ w: number; h: number; rgba: Uint8Array }> {
  const view = new DataView(png.buffer, png.byteOffset);
  assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]);
  let at = 8, w = 0, h = 0;
  const idat: Uint8Array[] = [];
  while (at < png.length) {
    const len = view.getUint32(at);
    const type = new TextDecoder().decode(png.subarray(at + 4, at + 8));
    const data = png.subarray(at + 8, at + 8 + len);
    if (type === "IHDR") [w, h] = [view.getUint32(at + 8), view.getUint32(at + 12)];
    if (type === "IDAT") idat.push(data);
    at += 12 + len;
  }
  const raw = new Uint8Array(
    await new Response(
      new Blob(idat as Uint8Array<ArrayBuffer>[]).stream().pipeThrough(
        new DecompressionStream("deflate"),
      ),
    ).arrayBuffer(),
  );
  const rgba = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) {
    const o = y * (w * 4 + 1);
    assert.equal(raw[o], 1, "Sub filter");
    for (let i = 0; i < w * 4; i++) {
      rgba[y * w * 4 + i] = (raw[o + 1 + i] + (i >= 4 ? rgba[y * w * 4 + i - 4] : 0)) & 0xff;
    }
  }
  return { w, h, rgba };
}

Deno.test("encodePng() round-trips pixels", async () => {
  const rgba = new Uint8Array(3 * 2 * 4).map((_, i) => (i * 37) & 0xff);
  const png = await encodePng(rgba, 3, 2);
  const d = await decodePng(png);
  assert.deepEqual([d.w, d.h], [3, 2]);
  assert.deepEqual([...d.rgba], [...rgba]);
});

Deno.test("rasterLines() draws each run where its line runs, in its colour, nowhere else", async () => {
  const lines = Array.from({ length: 80 }, (_, i) => ({
    label: `r${i}`,
    color: i === 0 ? "#ff0000" : "#0000ff",
    xs: [0, 10],
    // Run 0 is flat at y = 100; the others lie along y = 0.
    ys: i === 0 ? [100, 100] : [0, 0],
  }));
  const m = layoutChart({ width: 300, height: 150, x: "step", y: "linear", lines });
  assert.equal(m.dense, true);
  const uri = await rasterLines(m, 1);
  assert.match(uri, /^data:image\/png;base64,/);
  const bytes = Uint8Array.from(atob(uri.slice(uri.indexOf(",") + 1)), (c) => c.charCodeAt(0));
  const { w, h, rgba } = await decodePng(bytes);
  assert.deepEqual([w, h], [m.plot.right - m.plot.left, m.plot.bottom - m.plot.top]);
  const px = (x: number, y: number) => [...rgba.subarray((y * w + x) * 4, (y * w + x) * 4 + 4)];
  // y = 100 is the top of the plot (row 0), y = 0 its bottom row.
  const top = px(Math.floor(w / 2), 0), bottom = px(Math.floor(w / 2), h - 1);
  assert.ok(top[0] > 200 && top[2] < 50 && top[3] > 0, `top ${top}`);
  assert.ok(bottom[2] > 200 && bottom[0] < 50 && bottom[3] > 200, `bottom ${bottom}`);
  assert.equal(px(Math.floor(w / 2), Math.floor(h / 2))[3], 0, "empty between the lines");
  assert.ok(lineAlpha(1000) < lineAlpha(10));
});
