// Live framing feedback for the guided capture page, computed in the browser on a reduced grey
// copy of each video frame: focus (variance of the Laplacian relative to the image's own
// variance, so it does not depend on contrast), exposure (1st/99th percentile, clipped share),
// texture (standard deviation) and fill (share of tiles with surface texture). Pure functions of
// pixels: no DOM, so Node tests import this file as is.

/** Gate thresholds. The server's quality gate decides in the end; these keep bad shots from being sent. */
export const FRAMING_THRESHOLDS = {
  /** Median over textured tiles of var(Laplacian) / var(tile): below this the frame is blurred (focus or motion). */
  minSharpness: 0.5,
  /** 99th percentile below this: too dark. */
  darkP99: 40,
  /** 1st percentile above this: too bright. */
  brightP01: 215,
  /** Share of pixels at 250 or more: blown highlights. */
  maxClipped: 0.05,
  /** Standard deviation (grey levels) below this: no texture to fingerprint. */
  minStd: 6,
  /** Share of tiles that show surface texture: below this the part does not fill the frame. */
  minFill: 0.6,
  /** Local standard deviation of a tile that counts as part surface. */
  tileStd: 4,
  /** Grid of tiles per side for the fill measure. */
  tiles: 8,
};

/** Grey levels (0..255) from RGBA pixels (ImageData.data), ITU-R BT.601 luma. */
export function rgbaToGrey(rgba, width, height) {
  const out = new Uint8Array(width * height);
  for (let i = 0, j = 0; i < out.length; i++, j += 4) out[i] = (rgba[j] * 299 + rgba[j + 1] * 587 + rgba[j + 2] * 114 + 500) / 1000;
  return out;
}

/** Box-reduces a grey image so its longer side is at most `maxSide` (integer factor). */
export function reduceGrey(grey, width, height, maxSide = 256) {
  const f = Math.max(1, Math.ceil(Math.max(width, height) / maxSide));
  if (f === 1) return { data: grey, width, height };
  const w = Math.floor(width / f), h = Math.floor(height / f);
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let dy = 0; dy < f; dy++) for (let dx = 0; dx < f; dx++) s += grey[(y * f + dy) * width + x * f + dx];
      out[y * w + x] = Math.round(s / (f * f));
    }
  }
  return { data: out, width: w, height: h };
}

/** The framing measures of one grey frame. */
export function measureFrame(grey, width, height, t = FRAMING_THRESHOLDS) {
  const n = width * height;
  const hist = new Uint32Array(256);
  let sum = 0, sum2 = 0, clipped = 0;
  for (let i = 0; i < n; i++) {
    const v = grey[i];
    hist[v]++;
    sum += v;
    sum2 += v * v;
    if (v >= 250) clipped++;
  }
  const mean = sum / n;
  const variance = Math.max(0, sum2 / n - mean * mean);
  const pct = (q) => {
    let acc = 0;
    for (let v = 0; v < 256; v++) {
      acc += hist[v];
      if (acc >= q * n) return v;
    }
    return 255;
  };
  // 4-neighbour Laplacian over the interior (0 on the border).
  const lap = new Float32Array(n);
  let ls = 0, ls2 = 0, ln = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const l = grey[i - 1] + grey[i + 1] + grey[i - width] + grey[i + width] - 4 * grey[i];
      lap[i] = l;
      ls += l;
      ls2 += l * l;
      ln++;
    }
  }
  const lapVar = ln > 0 ? Math.max(0, ls2 / ln - (ls / ln) ** 2) : 0;
  // Per tile: texture (its standard deviation) and focus (var(Laplacian) / var(image) inside it).
  // The median over textured tiles, so a shadow, an edge or dust in a few tiles does not decide.
  const tiles = t.tiles;
  let textured = 0;
  const ratios = [];
  const tw = Math.floor(width / tiles), th = Math.floor(height / tiles);
  for (let ty = 0; ty < tiles; ty++) {
    for (let tx = 0; tx < tiles; tx++) {
      let s = 0, s2 = 0, l2 = 0, lc = 0;
      for (let y = ty * th; y < (ty + 1) * th; y++) for (let x = tx * tw; x < (tx + 1) * tw; x++) {
        const i = y * width + x;
        const v = grey[i];
        s += v;
        s2 += v * v;
        if (x > 0 && y > 0 && x < width - 1 && y < height - 1) {
          l2 += lap[i] * lap[i];
          lc++;
        }
      }
      const m = tw * th;
      const v = m > 0 ? Math.max(0, s2 / m - (s / m) ** 2) : 0;
      if (Math.sqrt(v) >= t.tileStd) {
        textured++;
        if (lc > 0 && v > 0) ratios.push(l2 / lc / v);
      }
    }
  }
  ratios.sort((a, b) => a - b);
  const sharpness = ratios.length > 0 ? ratios[Math.floor(ratios.length / 2)] : 0;
  return {
    width, height, mean, std: Math.sqrt(variance), p01: pct(0.01), p99: pct(0.99), clipped: clipped / n,
    laplacianVar: lapVar, sharpness, fill: textured / (tiles * tiles),
  };
}

/**
 * The gate: { ok, checks: [{ name, ok, value, hint }] , reasons: [{ code, message }] }. Reason
 * codes follow the server's quality gate where they overlap (too-dark, too-bright, no-texture, blurred).
 */
export function judgeFrame(m, t = FRAMING_THRESHOLDS) {
  const checks = [];
  const reasons = [];
  const add = (name, ok, value, code, hint) => {
    checks.push({ name, ok, value, hint: ok ? '' : hint });
    if (!ok) reasons.push({ code, message: hint });
  };
  add('exposure', m.p99 >= t.darkP99 && m.p01 <= t.brightP01 && m.clipped <= t.maxClipped, `${m.p01}–${m.p99}`,
    m.p99 < t.darkP99 ? 'too-dark' : 'too-bright',
    m.p99 < t.darkP99 ? 'too dark: add light or open the aperture' : m.clipped > t.maxClipped ? 'highlights blown: less light or exposure, avoid glare' : 'too bright: less light or exposure');
  add('texture', m.std >= t.minStd, m.std.toFixed(1), 'no-texture', 'no surface texture visible: aim at the part\'s surface');
  add('fill', m.fill >= t.minFill, `${Math.round(m.fill * 100)}%`, 'fill', 'the part does not fill the frame: move closer');
  add('focus', m.sharpness >= t.minSharpness, m.sharpness.toFixed(2), 'blurred', 'blurred: hold still and let the camera focus (or move to the macro lens\'s distance)');
  return { ok: reasons.length === 0, checks, reasons };
}
