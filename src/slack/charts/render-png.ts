// SVG to PNG with resvg (Rust, prebuilt for each platform; no browser, no canvas, no install script).
// Text uses the system's fonts (DejaVu Sans in the Docker image); without any font the bars, grid
// and legend swatches still render, and the message carries the numbers in words.
import { Resvg } from "@resvg/resvg-js";

/** Rendered at twice the SVG's size, so the image stays sharp on high-density screens. */
export function renderPng(svg: string, zoom = 2): Buffer {
  const resvg = new Resvg(svg, {
    fitTo: { mode: "zoom", value: zoom },
    font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans" },
  });
  return resvg.render().asPng();
}
