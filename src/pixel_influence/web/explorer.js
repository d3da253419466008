"use strict";
/*
 * explorer.js: the page. It reads the JSON block (pixel_influence.explorer.build), lets a
 * person draw or pick a digit, computes the influence maps live with kernels.js and draws them
 * as the PNG figures do (render/shading.py). window.explorer is its test interface.
 *
 * Sections: errors - data - the current image and its maps - shading - the drawing pad -
 * views (probabilities, map grid, tooltip, node view, Shapley) - controls - test interface.
 *
 * Any network: its layers (a1 ... zL), widths and meanings come with the data; the output
 * layer's nodes are labelled with data.class_names (absent: the digits 0..9).
 */
(function () {
  const api = (window.explorer = { ready: false, errors: [] });
  const $ = (id) => document.getElementById(id);
  const PIXELS = 784, SIDE = 28, PAD = 336, CELL = PAD / SIDE;
  let LAYERS = []; // the network's: a1, z1, ..., aL, zL (from the data)
  let OUTPUTS = []; // the output layer's logits and probabilities: aL, zL
  let BENCH_LAYERS = []; // the benchmark's: every hidden output and the output layer (z1, z2, a3, z3)
  let CLASS_NAMES = null; // one name per output node, or null: the digits
  let DRAWN = "a digit"; // what a person draws: a digit, or with named classes one of them
  const MAP_SIZE = { 10: 168, 50: 84, 100: 56 }; // CSS px of one map: whole multiples of 28
  const ROWS = 10, GAP = 6; // render/montage.py's ROWS; the grid's gap (CSS px)
  const FORMAT_VERSION = 1;
  const now = () => performance.now();

  // ---- errors: every one is shown, kept in explorer.errors and logged -------------------

  function report(message, log = true) {
    api.errors.push(message);
    const box = $("failure");
    box.hidden = false;
    box.textContent = api.errors.join("\n");
    if (log) console.error(message);
  }
  window.addEventListener("error", (e) => report(e.message, false));
  window.addEventListener("unhandledrejection", (e) =>
    report(String((e.reason && e.reason.message) || e.reason), false));

  /** Runs f, reporting instead of throwing: for event handlers. */
  function guarded(f) {
    return (...args) => {
      try {
        return f(...args);
      } catch (err) {
        report(`${err.message}`);
      }
    };
  }

  // ---- data -------------------------------------------------------------------------------

  let data, P, B, base; // the JSON block, kernels' params, the baseline image and f(baseline)
  let samples = []; // {name, title, label, source, image, shapley: {layer: maps} | null}
  let classes = null; // {count, images[k], values {layer}, residuals, maps (filled later)}
  let fOfBaseline = "f(baseline)"; // "f(0)", as the article writes it, for the all-zero baseline
  let points = 64, shapleyParameters = { permutations: 256, seed: 0 };
  const nodesOf = (layer) => data.network.sizes[layer];
  /** Output node c's class: its name, or the digit c. */
  const className = (c) => (CLASS_NAMES ? CLASS_NAMES[c] : String(c));
  /** How a class is named in sentences: "digit 3", or "class 3 (Dress)". */
  const classText = (c) => (CLASS_NAMES ? `class ${c} (${CLASS_NAMES[c]})` : `digit ${c}`);

  async function load() {
    data = JSON.parse($("explorer-data").textContent);
    if (data.format_version !== FORMAT_VERSION) {
      throw new Refusal(
        `This page holds data of format version ${data.format_version}, but its explorer ` +
        `reads version ${FORMAT_VERSION}. Rebuild the page with the pixel_influence that ` +
        "made the data (python -m pixel_influence explorer).");
    }
    await loadColours(data.colormaps);
    LAYERS = data.network.layers.slice();
    OUTPUTS = LAYERS.slice(-2);
    BENCH_LAYERS = LAYERS.filter((l, i) => (l[0] === "z" && i < LAYERS.length - 2) || OUTPUTS.includes(l));
    CLASS_NAMES = data.class_names || null;
    if (CLASS_NAMES) {
      DRAWN = "an image";
      $("lede-draw").textContent = `Draw an image (${CLASS_NAMES.slice(0, 3).join(", ")}, …)`;
      $("pad").setAttribute("aria-label", "Drawing pad: draw with the mouse, a finger or a pen");
    }
    const raw = { activation: data.network.activation || "sigmoid" };
    for (const [k, spec] of Object.entries(data.network.params)) raw[k] = await decode.array(spec);
    P = kernels.make_params(raw);
    B = Float64Array.from(await decode.array(data.baseline.image));
    base = kernels.forward(P, B);
    if (B.every((v) => v === 0)) fOfBaseline = "f(0)";
    points = (data.parameters.integrated_gradients || {}).points || points;
    Object.assign(shapleyParameters, data.parameters.shapley_sampling || {});
    for (const s of data.samples) {
      const sample = { ...s, image: Float64Array.from(await decode.array(s.image)), shapley: null };
      if (s.shapley_sampling) sample.shapley = await scatter(s.shapley_sampling);
      samples.push(sample);
    }
    const c = data.classes;
    if (c) {
      const images = await decode.array(c.image);
      classes = { split: c.split, count: c.count, values: {}, residuals: {}, maps: null };
      classes.images = c.count.map((_, k) => Float64Array.from(images.subarray(k * PIXELS, (k + 1) * PIXELS)));
      for (const [layer, spec] of Object.entries(c.values)) classes.values[layer] = await decode.array(spec);
      for (const [m, per] of Object.entries(c.residuals)) {
        classes.residuals[m] = {};
        for (const [layer, spec] of Object.entries(per)) classes.residuals[m][layer] = await decode.array(spec);
      }
    }
  }

  /** The class-mean maps (5 million int8 values): decoded after the first render. */
  async function loadClassMaps() {
    const maps = {};
    for (const [m, per] of Object.entries(data.classes.maps)) {
      maps[m] = {};
      for (const [layer, spec] of Object.entries(per)) maps[m][layer] = await decode.array(spec);
    }
    classes.maps = maps;
  }

  /** A sample's sparse Shapley maps (nodes, m) at ``pixels`` as full maps (nodes * 784). */
  async function scatter(spec) {
    const pixels = await decode.array(spec.pixels), out = {};
    for (const [layer, encoded] of Object.entries(spec.maps)) {
      const values = await decode.array(encoded), m = pixels.length, nodes = values.length / Math.max(m, 1);
      const maps = new Float64Array(nodesOf(layer) * PIXELS);
      if (m) for (let n = 0; n < nodes; n++) for (let j = 0; j < m; j++) maps[n * PIXELS + pixels[j]] = values[n * m + j];
      out[layer] = maps;
    }
    return out;
  }

  class Refusal extends Error {}

  // ---- the current image, its values and maps ----------------------------------------------

  const S = {
    pick: "", method: "", layer: "", scale: "layer", colour: "gray",
    overlay: false, grid: false, sweep: false, note: "",
  };
  const image = new Float64Array(PIXELS);
  let values = null; // f(image) of every layer
  let version = 0; // bumped by every change of the image: the key of every cached result
  const cache = new Map(); // "method layer" -> {maps, residual} of this version
  let drawn = new Float64Array(PIXELS), drawnFrom = "ink"; // the person's last drawing
  let lastUpdate = { ms: 0, what: "" };
  const recent = []; // the times of the last 100 updates, ms
  let began = null; // the start of a drawn frame: its update is timed from there

  function pickLabel(key) {
    if (key === "drawing") return "your drawing";
    if (key === "white") return "white (every pixel 1)";
    if (key === "empty") return "empty (every pixel 0)";
    if (key.startsWith("class:")) {
      const k = Number(key.slice(6));
      return `${CLASS_NAMES ? `class ${k}, ${CLASS_NAMES[k]},` : `class ${k}`} mean (${classes.count[k].toLocaleString("en")} images)`;
    }
    return sampleOf(key).title;
  }
  const sampleOf = (key) => samples.find((s) => `sample:${s.name}` === key) || null;
  const classOf = (key) => (key.startsWith("class:") ? Number(key.slice(6)) : null);

  function picks() {
    const keys = samples.map((s) => `sample:${s.name}`).concat(["white", "empty"]);
    if (classes) classes.count.forEach((n, k) => n > 0 && keys.push(`class:${k}`));
    return keys;
  }

  /** Loads a pick (a sample, white, empty, a class mean, or the last drawing). */
  function pick(key) {
    let x;
    if (key === "drawing") x = drawn;
    else if (key === "white") x = new Float64Array(PIXELS).fill(1);
    else if (key === "empty") x = new Float64Array(PIXELS);
    else if (classOf(key) !== null && classes && classes.images[classOf(key)]) x = classes.images[classOf(key)];
    else if (sampleOf(key)) x = sampleOf(key).image;
    else throw new Error(`unknown pick ${JSON.stringify(key)}; expected one of ${picks().join(", ")}`);
    S.pick = key;
    S.sweep = false;
    setImage(x);
  }

  function setImage(x, note) {
    image.set(x);
    version++;
    cache.clear();
    cancelShapley();
    values = kernels.forward(P, image);
    let zero = true, same = true;
    for (let i = 0; i < PIXELS; i++) {
      if (image[i] !== 0) zero = false;
      if (image[i] !== B[i]) same = false;
    }
    S.note = note || (zero ? "empty: every map is 0" : same ? "the image is the baseline: every map is 0" : "");
    ghost();
    update();
  }

  /** A live method's maps of one or more layers for the current image. */
  function compute(method, layers) {
    if (method === "integrated_gradients") return kernels.integrated_gradients(P, image, B, layers, points);
    return kernels[method](P, image, B, layers);
  }

  /** What the page shows for (method, layer): {maps, residual, sweep?} or null. */
  function mapsOf(method, layer) {
    const k = classOf(S.pick);
    if (S.sweep && k !== null) return sweepMaps(method, layer, k);
    const key = `${method} ${layer}`;
    if (!cache.has(key)) {
      let maps = null;
      if (method === "shapley_sampling") {
        const embedded = sampleOf(S.pick) && sampleOf(S.pick).shapley;
        maps = (embedded && embedded[layer]) || (shapley.version === version && shapley.maps && shapley.maps[layer]) || null;
      } else maps = compute(method, [layer])[layer];
      cache.set(key, maps && { maps, residual: kernels.residual(values[layer], base[layer], maps, nodesOf(layer)) });
    }
    return cache.get(key);
  }

  function sweepMaps(method, layer, k) {
    if (!classes.maps || !classes.maps[method] || !classes.maps[method][layer]) return null;
    const n = nodesOf(layer), size = n * PIXELS;
    const maps = classes.maps[method][layer].subarray(k * size, (k + 1) * size);
    const residual = classes.residuals[method][layer].subarray(k * n, (k + 1) * n);
    const value = classes.values[layer].subarray(k * n, (k + 1) * n);
    return { maps, residual, value, sweep: true };
  }

  // ---- shading: render/shading.py's gray levels, and the diverging colours ----------------

  /** gray level of v on the symmetric scale: floor(128 + 127.5 clip(v / scale, -1, 1)). */
  function level(v, scale) {
    let t = scale > 0 ? v / scale : 0;
    t = t < -1 ? -1 : t > 1 ? 1 : t;
    const g = Math.floor(128 + 127.5 * t);
    return g < 0 ? 0 : g > 255 ? 255 : g;
  }

  const rgba = (r, g, b) => ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0; // little-endian RGBA
  // colour map -> the RGBA of each gray level: render/shading.py's LUTS, from the page's data
  // (gray; diverging = ColorBrewer RdBu reversed: blue (negative), white (0), red (positive))
  const LUT = {};

  async function loadColours(colormaps) {
    for (const name of ["gray", "diverging"]) {
      if (!colormaps || !colormaps[name]) throw new Error(`the page's data holds no colour map ${name}`);
      const rgb = await decode.array(colormaps[name]), table = new Uint32Array(256);
      if (rgb.length !== 256 * 3) throw new Error(`colour map ${name}: ${rgb.length} values, expected 768`);
      for (let g = 0; g < 256; g++) table[g] = rgba(rgb[3 * g], rgb[3 * g + 1], rgb[3 * g + 2]);
      LUT[name] = table;
    }
  }

  /** max |v| over all maps (mode "layer", a number) or over each map ("node", an array). */
  function scaleOf(maps, nodes, mode) {
    const per = new Float64Array(nodes);
    for (let n = 0; n < nodes; n++) {
      let top = 0;
      for (let i = n * PIXELS, end = i + PIXELS; i < end; i++) {
        const a = Math.abs(maps[i]);
        if (a > top) top = a;
      }
      per[n] = top;
    }
    return mode === "node" ? per : per.reduce((a, b) => Math.max(a, b), 0);
  }

  /** Paints map n into a cell's reused ImageData and puts it on the cell's canvas. */
  function paint(cell, maps, n, scale, lut) {
    const u32 = cell.u32, offset = n * PIXELS;
    for (let i = 0; i < PIXELS; i++) u32[i] = lut[level(maps[offset + i], scale)];
    cell.ctx.putImageData(cell.pixels, 0, 0);
  }

  const fmt = (v) => {
    if (v === 0) return "0";
    const a = Math.abs(v);
    return a >= 1e4 || a < 1e-3 ? v.toExponential(2) : v.toPrecision(3);
  };
  const signed = (v) => (v > 0 ? "+" : v < 0 ? "−" : "") + fmt(Math.abs(v));

  // ---- the drawing pad ---------------------------------------------------------------------

  const pad = $("pad"), padCtx = pad.getContext("2d");
  const ink = document.createElement("canvas"), inkCtx = ink.getContext("2d", { willReadFrequently: true });
  const before = document.createElement("canvas"), beforeCtx = before.getContext("2d");
  const layer = document.createElement("canvas"), layerCtx = layer.getContext("2d");
  for (const c of [ink, before, layer]) c.width = c.height = PAD;
  const small = document.createElement("canvas"), smallCtx = small.getContext("2d");
  small.width = small.height = SIDE;
  const smallPixels = smallCtx.createImageData(SIDE, SIDE), smallU32 = new Uint32Array(smallPixels.data.buffer);
  const gray = new Float64Array(PAD * PAD);
  let stroke = null; // {points, grid, base (grid mode), dabs (grid mode)}
  let frame = 0; // a pending requestAnimationFrame

  function clearInk() {
    inkCtx.fillStyle = "#000";
    inkCtx.fillRect(0, 0, PAD, PAD);
  }

  function toolOf() {
    return {
      erase: $("tool-eraser").checked,
      width: Number($("width").value),
      soft: Number($("soft").value),
    };
  }

  function padPoint(e) {
    const r = pad.getBoundingClientRect();
    return [((e.clientX - r.left) * PAD) / r.width, ((e.clientY - r.top) * PAD) / r.height];
  }

  function startStroke(p) {
    const grid = S.grid;
    if (!grid && (S.pick !== "drawing" || drawnFrom !== "ink")) clearInk(); // a new drawing
    if (grid) stroke = { points: [p], grid, base: Float64Array.from(image), dabs: new Float64Array(PIXELS) };
    else {
      beforeCtx.drawImage(ink, 0, 0);
      stroke = { points: [p], grid };
    }
    S.pick = "drawing";
    S.sweep = false;
    drawnFrom = grid ? "grid" : "ink";
    schedule();
  }

  function schedule() {
    if (!frame) frame = requestAnimationFrame(guarded(onFrame));
  }

  /** Once per animation frame while drawing: the stroke so far, the image, every view. */
  function onFrame() {
    frame = 0;
    if (!stroke) return;
    began = now();
    if (stroke.grid) {
      strokeGrid(stroke);
      drawn = Float64Array.from(image);
      setImage(image);
    } else {
      strokeInk(stroke);
      fromInk();
    }
  }

  /** The whole stroke as one path with a blurred (soft) edge, over the ink before it. */
  function strokeInk(s) {
    const t = toolOf();
    layerCtx.clearRect(0, 0, PAD, PAD);
    layerCtx.filter = t.soft > 0 ? `blur(${(t.soft * t.width) / 5}px)` : "none";
    layerCtx.strokeStyle = layerCtx.fillStyle = t.erase ? "#000" : "#fff";
    layerCtx.lineWidth = t.width;
    layerCtx.lineCap = layerCtx.lineJoin = "round";
    layerCtx.beginPath();
    const [x0, y0] = s.points[0];
    if (s.points.length === 1) layerCtx.arc(x0, y0, t.width / 2, 0, 2 * Math.PI), layerCtx.fill();
    else {
      layerCtx.moveTo(x0, y0);
      for (const [x, y] of s.points) layerCtx.lineTo(x, y);
      layerCtx.stroke();
    }
    inkCtx.drawImage(before, 0, 0);
    inkCtx.drawImage(layer, 0, 0);
  }

  /** Grid mode: the stroke's soft brush, max over its dabs, painted into the 28x28 image. */
  function strokeGrid(s) {
    const t = toolOf(), r = t.width / CELL / 2, soft = Math.max(t.soft * r, 0.35);
    const pts = s.points.map(([x, y]) => [x / CELL, y / CELL]);
    for (let q = 0; q < pts.length; q++) {
      const [ax, ay] = pts[Math.max(q - 1, 0)], [bx, by] = pts[q];
      const dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy;
      const reach = r + soft, low = (p, q) => Math.max(0, Math.floor(Math.min(p, q) - reach));
      const high = (p, q) => Math.min(SIDE - 1, Math.ceil(Math.max(p, q) + reach));
      const r0 = low(ay, by), r1 = high(ay, by), c0 = low(ax, bx), c1 = high(ax, bx);
      for (let row = r0; row <= r1; row++) {
        for (let col = c0; col <= c1; col++) {
          const px = col + 0.5, py = row + 0.5;
          const u = len2 > 0 ? Math.min(1, Math.max(0, ((px - ax) * dx + (py - ay) * dy) / len2)) : 0;
          const d = Math.hypot(px - ax - u * dx, py - ay - u * dy);
          const a = Math.min(1, Math.max(0, (r + soft / 2 - d) / soft)); // linear soft edge
          const i = row * SIDE + col;
          if (a > s.dabs[i]) s.dabs[i] = a;
        }
      }
    }
    for (let i = 0; i < PIXELS; i++) {
      const a = s.dabs[i], b = s.base[i];
      image[i] = t.erase ? b * (1 - a) : b + a * (1 - b);
    }
  }

  /** The ink as gray 0..1 at full resolution (the red channel: the ink is gray). */
  function readInk() {
    const rgba8 = inkCtx.getImageData(0, 0, PAD, PAD).data;
    let top = 0;
    for (let i = 0; i < gray.length; i++) {
      const v = rgba8[4 * i] / 255;
      gray[i] = v;
      if (v > top) top = v;
    }
    return top;
  }

  /** The drawing, turned into the 28x28 image exactly as samples.mnist_style does. */
  function fromInk() {
    const top = readInk();
    let x = new Float64Array(PIXELS), note = "";
    if (top === 0) note = "empty: every map is 0";
    else {
      try {
        x = kernels.mnist_style(gray, PAD, PAD, "the drawing");
      } catch (err) {
        if (!/no digit/.test(err.message)) throw err;
        note = `${err.message.replace(/^the drawing: /, "")}: the image is empty, every map is 0`;
      }
    }
    drawn = Float64Array.from(x);
    setImage(x, note);
  }

  function endStroke() {
    if (!stroke) return;
    if (frame) {
      cancelAnimationFrame(frame);
      frame = 0;
      onFrame();
    }
    stroke = null;
  }

  function clearDrawing() {
    stroke = null;
    clearInk();
    S.pick = "drawing";
    S.sweep = false;
    drawnFrom = S.grid ? "grid" : "ink";
    drawn = new Float64Array(PIXELS);
    setImage(drawn, "empty: every map is 0");
  }

  /** The pad shows the ink, or (a picked image, grid mode) the image itself, big. */
  function drawPad() {
    const showInk = !S.grid && S.pick === "drawing" && drawnFrom === "ink";
    for (let i = 0; i < PIXELS; i++) smallU32[i] = LUT.gray[Math.round(Math.min(1, Math.max(0, image[i])) * 255)];
    smallCtx.putImageData(smallPixels, 0, 0);
    if (showInk) padCtx.drawImage(ink, 0, 0);
    else {
      padCtx.imageSmoothingEnabled = false;
      padCtx.drawImage(small, 0, 0, PAD, PAD);
      if (S.grid) {
        padCtx.strokeStyle = "rgba(120,140,160,0.28)";
        padCtx.lineWidth = 1;
        padCtx.beginPath();
        for (let k = 1; k < SIDE; k++) {
          padCtx.moveTo(k * CELL + 0.5, 0), padCtx.lineTo(k * CELL + 0.5, PAD);
          padCtx.moveTo(0, k * CELL + 0.5), padCtx.lineTo(PAD, k * CELL + 0.5);
        }
        padCtx.stroke();
      }
    }
    const hint = $("pad-hint");
    hint.textContent = S.grid ? "" : showInk ? (S.note ? `draw ${DRAWN} here` : "")
      : `${pickLabel(S.pick)} — draw here to start your own ${CLASS_NAMES ? "drawing" : "digit"}`;
    hint.hidden = !hint.textContent;
    $("preview").getContext("2d").putImageData(smallPixels, 0, 0);
  }

  function bindPad() {
    clearInk();
    pad.addEventListener("pointerdown", guarded((e) => {
      if (e.pointerType === "mouse" && e.button !== 0) return;
      try {
        pad.setPointerCapture(e.pointerId);
      } catch (_) {
        /* a synthetic event's pointer cannot be captured */
      }
      e.preventDefault();
      startStroke(padPoint(e));
    }));
    pad.addEventListener("pointermove", guarded((e) => {
      if (!stroke) return;
      const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [];
      for (const c of events.length ? events : [e]) stroke.points.push(padPoint(c));
      schedule();
    }));
    for (const type of ["pointerup", "pointercancel", "lostpointercapture"]) pad.addEventListener(type, guarded(endStroke));
    $("clear").addEventListener("click", guarded(clearDrawing));
  }

  // ---- views -------------------------------------------------------------------------------

  /** Everything that depends on the image or the controls; timed as "the last update". */
  function update() {
    const t0 = began === null ? now() : began;
    began = null;
    const shown = renderGrid();
    renderProbabilities();
    drawPad();
    renderNodeView();
    renderShapley();
    renderControls();
    const ms = now() - t0;
    lastUpdate = { ms, what: shown ? `${S.method}, ${S.layer}` : "" };
    recent.push(ms);
    if (recent.length > 100) recent.shift();
    $("timing").textContent = `last update ${ms.toFixed(1)} ms` + (lastUpdate.what ? ` · ${label(lastUpdate.what)}` : "");
    $("timing").title = "time to recompute and redraw after the last change, measured with performance.now()";
  }

  function renderProbabilities() {
    const box = $("probs"), z = values[OUTPUTS[1]], classCount = z.length;
    if (!box.children.length) {
      for (let d = 0; d < classCount; d++) {
        const col = document.createElement("div");
        col.className = "prob";
        col.title = classText(d);
        col.innerHTML = '<span class="p"></span><span class="bar"><i></i></span><span class="digit"></span>';
        col.querySelector(".digit").textContent = className(d);
        box.append(col);
      }
      box.classList.toggle("named", !!CLASS_NAMES);
      $("probs-caption").textContent = `softmax probabilities (${OUTPUTS[1]})`;
    }
    let top = 0;
    for (let d = 1; d < classCount; d++) if (z[d] > z[top]) top = d;
    [...box.children].forEach((col, d) => {
      col.classList.toggle("top", d === top);
      col.querySelector("i").style.height = `${(z[d] * 100).toFixed(2)}%`;
      col.querySelector(".p").textContent = z[d] >= 0.995 ? "1" : z[d] < 0.005 ? "" : z[d].toFixed(2).slice(1);
    });
    box.setAttribute("aria-label", `prediction ${CLASS_NAMES ? CLASS_NAMES[top] : top} with probability ${z[top].toFixed(3)}`);
  }

  // the map grid: one cell (canvas 28x28, outline, caption) per node of the shown layer
  const grid = { layer: null, cells: [], byLayer: {}, offscreen: {} };
  let current = null; // what the grid shows: {method, layer, maps, residual, scale, sweep}

  function makeCell(n) {
    const fig = document.createElement("figure");
    fig.className = "cell";
    fig.tabIndex = 0;
    fig.dataset.node = n;
    fig.setAttribute("role", "button");
    const box = document.createElement("div");
    box.className = "map";
    const cell = cellOf();
    box.append(cell.canvas, ghostSvg());
    const cap = document.createElement("figcaption");
    fig.append(box, cap);
    return Object.assign(cell, { fig, cap });
  }

  /** A canvas of 28x28 with its reused ImageData (the grid's cells, offscreen ones, panels). */
  function cellOf() {
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = SIDE;
    const ctx = canvas.getContext("2d"), pixels = ctx.createImageData(SIDE, SIDE);
    return { canvas, ctx, pixels, u32: new Uint32Array(pixels.data.buffer) };
  }

  function ghostSvg() {
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("viewBox", "0 0 28 28");
    svg.setAttribute("class", "ghost");
    svg.setAttribute("aria-hidden", "true");
    const use = document.createElementNS("http://www.w3.org/2000/svg", "use");
    use.setAttribute("href", "#ghost");
    svg.append(use);
    return svg;
  }

  /**
   * render/montage.py's grid_rows: min(nodes, R), R the smallest multiple of ROWS not below
   * sqrt(nodes). The page is wide where the montage is tall: its grid is the montage's turned
   * a quarter, node j in column j % R and row floor(j / R) (the article's ten a row).
   */
  function gridRows(nodes) {
    if (nodes <= 0) return 0;
    const side = Math.ceil(Math.sqrt(nodes));
    return Math.min(nodes, ROWS * Math.max(1, Math.ceil(side / ROWS)));
  }

  /** The grid's columns and map size (CSS px, a whole multiple of 28 where it fits) for n maps. */
  function gridLayout(n) {
    const columns = gridRows(n), width = $("grid").clientWidth || 900;
    const preferred = MAP_SIZE[n] || (n <= 10 ? 168 : n <= 60 ? 84 : 56);
    const fits = Math.floor((width - (columns - 1) * GAP) / columns);
    const size = fits >= SIDE ? Math.min(preferred, Math.floor(fits / SIDE) * SIDE) : Math.max(fits, 14);
    return { columns, size };
  }

  function layoutGrid() {
    if (grid.layer === null) return;
    const { columns, size } = gridLayout(nodesOf(grid.layer)), box = $("grid");
    box.style.setProperty("--map", `${size}px`);
    box.style.setProperty("--columns", String(columns));
  }

  function buildGrid(layerName) {
    if (grid.layer === layerName) return;
    const n = nodesOf(layerName), box = $("grid");
    grid.layer = layerName;
    grid.cells = grid.byLayer[layerName] = grid.byLayer[layerName] || Array.from({ length: n }, (_, i) => makeCell(i));
    box.replaceChildren(...grid.cells.map((c) => c.fig));
    box.dataset.layer = layerName;
    box.classList.toggle("output", isOutput(layerName));
    box.classList.toggle("named", isOutput(layerName) && !!CLASS_NAMES);
    layoutGrid();
  }

  const isOutput = (layerName) => OUTPUTS.includes(layerName);

  /** Draws the maps of the chosen method and layer; returns what it shows (or null). */
  function renderGrid() {
    buildGrid(S.layer);
    const shown = mapsOf(S.method, S.layer);
    const n = nodesOf(S.layer), note = $("maps-note");
    $("grid").classList.toggle("empty", !shown);
    if (!shown) {
      current = { method: S.method, layer: S.layer, maps: null };
      note.hidden = false;
      note.textContent = missingText();
      for (const c of grid.cells) c.ctx.clearRect(0, 0, SIDE, SIDE), (c.cap.textContent = "");
      legend(null);
      return null;
    }
    note.hidden = !S.note;
    note.textContent = S.note;
    const scale = scaleOf(shown.maps, n, S.scale), lut = LUT[S.colour];
    current = { method: S.method, layer: S.layer, ...shown, scale };
    grid.cells.forEach((c, i) => {
      paint(c, shown.maps, i, typeof scale === "number" ? scale : scale[i], lut);
      const p = values[OUTPUTS[1]][i];
      c.cap.textContent = isOutput(S.layer) ? `${className(i)} · ${p < 0.001 ? "<.001" : p.toFixed(3).replace(/^0/, "")}` : `${i}`;
      c.cap.title = isOutput(S.layer) ? classText(i) : "";
      c.fig.setAttribute("aria-label", `${S.layer} node ${i}: open every method`);
    });
    legend(scale);
    return current;
  }

  function missingText() {
    if (S.sweep) {
      if (!classes.maps) return "decoding the sweep's mean maps…";
      const methods = Object.keys(classes.maps), layers = Object.keys(classes.maps[methods[0]] || {});
      return `The sweep has no mean maps of ${S.method} for ${S.layer}; it has ${methods.join(", ")} ` +
        `for ${layers.join(", ")}.`;
    }
    const sample = sampleOf(S.pick), held = sample && sample.shapley ? Object.keys(sample.shapley) : [];
    return `No Shapley maps of ${S.layer} for this image yet: compute them (left, below the probabilities)` +
      (held.length ? `; this sample holds precomputed ones for ${held.join(", ")}.` : ".");
  }

  function legend(scale) {
    const bar = $("legend-bar"), ctx = bar.getContext("2d"), row = ctx.createImageData(256, 1);
    new Uint32Array(row.data.buffer).set(LUT[S.colour]);
    ctx.putImageData(row, 0, 0);
    let text = "", low = "", high = "";
    if (scale !== null) {
      if (typeof scale === "number") {
        text = `scale ±${fmt(scale)} per layer`;
        low = `−${fmt(scale)}`;
        high = `+${fmt(scale)}`;
      } else {
        const pos = Array.from(scale).filter((v) => v > 0);
        const range = `±${fmt(Math.min(...pos))} … ±${fmt(Math.max(...pos))}`;
        text = pos.length ? `scale per node, ${range} (hover a map for its own)` : "every map is 0";
        low = "−scale";
        high = "+scale";
      }
      if (current.sweep) {
        const k = classOf(S.pick);
        text += ` · mean maps over the ${classes.count[k].toLocaleString("en")} ${classes.split} images of ${CLASS_NAMES ? classText(k) : `class ${k}`} ` +
          "(127 levels a side; exact values in classes.h5)";
      }
    }
    $("legend-low").textContent = low;
    $("legend-high").textContent = high;
    $("scale-text").textContent = text;
  }

  /** The input's outline (marching squares at 0.5) for the overlays: one path, used by every map. */
  function ghost() {
    const v = (r, c) => (r < 0 || c < 0 || r >= SIDE || c >= SIDE ? 0 : image[r * SIDE + c]);
    const L = 0.5, cut = (p, q) => (p >= L) !== (q >= L), t = (p, q) => (L - p) / (q - p);
    const xy = (x, y) => `${(x + 0.5).toFixed(2)} ${(y + 0.5).toFixed(2)}`;
    let d = "";
    for (let r = -1; r < SIDE; r++) {
      for (let c = -1; c < SIDE; c++) {
        const a = v(r, c), b = v(r, c + 1), e = v(r + 1, c + 1), f = v(r + 1, c), pts = [];
        if (cut(a, b)) pts.push(xy(c + t(a, b), r));
        if (cut(b, e)) pts.push(xy(c + 1, r + t(b, e)));
        if (cut(f, e)) pts.push(xy(c + t(f, e), r + 1));
        if (cut(a, f)) pts.push(xy(c, r + t(a, f)));
        for (let k = 0; k + 1 < pts.length; k += 2) d += `M${pts[k]}L${pts[k + 1]}`;
      }
    }
    $("ghost").setAttribute("d", d);
  }

  // the tooltip: a map's numbers, and the value of the pixel under the pointer
  const tip = $("tip");

  /** The numbers of node n of a shown result for the tooltip and the node view. */
  function nodeNumbers(shown, layerName, n) {
    const fx = shown.sweep ? shown.value[n] : values[layerName][n], fb = base[layerName][n];
    let sum = 0;
    for (let i = n * PIXELS; i < (n + 1) * PIXELS; i++) sum += shown.maps[i];
    return { fx, fb, sum, residual: shown.residual[n] };
  }

  function nodeName(layerName, n) {
    return isOutput(layerName) ? `${layerName} node ${n} (${classText(n)})` : `${layerName} node ${n}`;
  }

  function showTip(e, target) {
    const { method, layer: L, node: n, shown, scale } = target;
    if (!shown) return hideTip();
    const v = nodeNumbers(shown, L, n), mean = shown.sweep ? "mean " : "";
    const rect = e.currentTarget.querySelector("canvas").getBoundingClientRect();
    const col = Math.floor(((e.clientX - rect.left) / rect.width) * SIDE);
    const row = Math.floor(((e.clientY - rect.top) / rect.height) * SIDE);
    const inside = e.type !== "focus" && row >= 0 && row < SIDE && col >= 0 && col < SIDE;
    const f0 = fOfBaseline, probability = isOutput(L) && !shown.sweep ? ` · probability ${values[OUTPUTS[1]][n].toFixed(4)}` : "";
    const lines = [
      `<b>${nodeName(L, n)}</b> · ${label(method)}` + (shown.sweep ? " · sweep mean" : ""),
      `${mean}f(x) ${fmt(v.fx)} · ${f0} ${fmt(v.fb)}${probability}`,
      `${mean}f(x) − ${f0} ${signed(v.fx - v.fb)}`,
      `${mean}sum of the map ${signed(v.sum)}`,
      `${mean}residual ${signed(v.residual)} <span class="dim">= f(x) − ${f0} − sum</span>`,
      `<span class="dim">scale ±${fmt(scale)}</span>`,
    ];
    if (inside) lines.push(`pixel (row ${row}, col ${col}): <b>${signed(shown.maps[n * PIXELS + row * SIDE + col])}</b>`);
    tip.innerHTML = lines.join("<br>");
    tip.hidden = false;
    const x = e.type === "focus" ? rect.right : e.clientX, y = e.type === "focus" ? rect.bottom : e.clientY;
    const w = tip.offsetWidth, h = tip.offsetHeight;
    tip.style.left = `${Math.min(x + 14, window.innerWidth - w - 8)}px`;
    tip.style.top = `${y + 18 + h > window.innerHeight ? y - h - 12 : y + 18}px`;
  }

  function hideTip() {
    tip.hidden = true;
  }

  /** The (method, layer, node) a grid cell or node-view panel stands for, with its maps. */
  function targetOf(el) {
    const n = Number(el.dataset.node);
    if (el.dataset.method) {
      const shown = mapsOf(el.dataset.method, el.dataset.layer);
      const panel = nodeView && nodeView.panels[el.dataset.method];
      return { method: el.dataset.method, layer: el.dataset.layer, node: n, shown, scale: panel ? panel.scale : 0 };
    }
    if (!current || !current.maps) return { shown: null };
    const scale = typeof current.scale === "number" ? current.scale : current.scale[n];
    return { method: current.method, layer: current.layer, node: n, shown: current, scale };
  }

  function bindHover(container) {
    const handler = guarded((e) => {
      const el = e.target.closest(".cell, .panel[data-method]");
      if (!el) return hideTip();
      showTip({ clientX: e.clientX, clientY: e.clientY, type: e.type, currentTarget: el }, targetOf(el));
    });
    container.addEventListener("pointermove", handler);
    container.addEventListener("focusin", (e) => handler({ target: e.target, type: "focus", clientX: 0, clientY: 0 }));
    container.addEventListener("pointerleave", hideTip);
    container.addEventListener("focusout", hideTip);
  }

  // the node view: one node, every method side by side, live
  let nodeView = null; // {layer, node, panels: {method: cell}}, or null when closed
  let nodeScaleMode = "shared"; // the node view's scale: one for all methods, or each its own

  function methodsShown() {
    return data.methods.includes("shapley_sampling") ? data.methods : data.methods.concat(["shapley_sampling"]);
  }

  function openNode(n, layerName = S.layer) {
    nodeView = { layer: layerName, node: n, panels: {}, from: document.activeElement };
    const box = $("node-panels");
    box.replaceChildren();
    for (const m of methodsShown()) {
      const panel = document.createElement("figure");
      panel.className = "panel";
      panel.title = data.method_meaning[m] || SHAPLEY_MEANING;
      Object.assign(panel.dataset, { method: m, layer: layerName, node: n });
      const cell = cellOf();
      const wrap = document.createElement("div");
      wrap.className = "map";
      wrap.append(cell.canvas, ghostSvg());
      const cap = document.createElement("figcaption");
      panel.append(wrap, cap);
      box.append(panel);
      nodeView.panels[m] = Object.assign(cell, { cap, wrap });
    }
    $("node-view").hidden = false;
    renderNodeView();
    $("node-close").focus();
  }

  function closeNode() {
    if (!nodeView) return;
    const from = nodeView.from;
    nodeView = null;
    $("node-view").hidden = true;
    hideTip();
    if (from && from.focus) from.focus();
  }

  function renderNodeView() {
    if (!nodeView) return;
    const { layer: L, node: n } = nodeView, lut = LUT[S.colour];
    const node = (shown) => shown.maps.subarray(n * PIXELS, (n + 1) * PIXELS);
    const all = Object.keys(nodeView.panels).map((m) => mapsOf(m, L)).filter(Boolean);
    const shared = all.reduce((top, shown) => Math.max(top, scaleOf(node(shown), 1, "layer")), 0);
    const complete = data.complete || {};
    $("node-title").textContent = nodeName(L, n);
    const fx = values[L][n], fb = base[L][n];
    const f0 = fOfBaseline;
    $("node-values").textContent = `f(x) ${fmt(fx)} · ${f0} ${fmt(fb)} · f(x) − ${f0} ${signed(fx - fb)}` +
      (isOutput(L) ? ` · probability ${values[OUTPUTS[1]][n].toFixed(4)}` : "") + ` · baseline: ${data.baseline.description}`;
    for (const [m, cell] of Object.entries(nodeView.panels)) {
      const shown = mapsOf(m, L);
      if (!shown) {
        cell.ctx.clearRect(0, 0, SIDE, SIDE);
        cell.wrap.classList.add("missing");
        cell.scale = null;
        cell.cap.innerHTML = `<b>${label(m)}</b><br>${S.sweep ? "not in the sweep" : "not computed for this image"}`;
        if (!S.sweep && m === "shapley_sampling" && !shapley.worker) {
          const run = document.createElement("button");
          run.type = "button";
          run.textContent = "compute";
          run.addEventListener("click", guarded(runShapley));
          cell.cap.append(document.createElement("br"), run);
        } else if (shapley.worker && m === "shapley_sampling") cell.cap.append(` (${shapley.done} / ${shapley.total})`);
        continue;
      }
      cell.wrap.classList.remove("missing");
      const scale = nodeScaleMode === "shared" ? shared : scaleOf(node(shown), 1, "layer");
      const v = nodeNumbers(shown, L, n);
      paint(cell, shown.maps, n, scale, lut);
      const done = complete[m] || m === "shapley_sampling" ? " (complete)" : "";
      cell.cap.innerHTML = `<b>${label(m)}</b><br>sum ${signed(v.sum)}<br>` +
        `residual ${signed(v.residual)}${done}<br>scale ±${fmt(scale)}`;
      cell.scale = scale;
    }
  }

  // live Shapley values in a Web Worker (kernels.js's text plus a message handler)
  const SHAPLEY_MEANING = "Shapley values estimated from antithetic random permutations (exactly efficient)";
  const WORKER = `
    onmessage = (e) => {
      const { id, raw, x, b, permutations, seed } = e.data;
      const params = kernels.make_params(raw);
      const maps = kernels.shapley_sampling(params, x, b, params.layers, permutations, seed,
        (done, total) => postMessage({ id, done, total }));
      postMessage({ id, maps }, Object.values(maps).map((m) => m.buffer));
    };`;
  let workerUrl = null;
  const shapley = { worker: null, version: -1, done: 0, total: 0, maps: null, started: 0, seconds: 0 };

  function runShapley() {
    cancelShapley();
    if (!workerUrl) {
      const source = new Blob([$("kernels").textContent, WORKER], { type: "text/javascript" });
      workerUrl = URL.createObjectURL(source);
    }
    const worker = new Worker(workerUrl), id = version, { permutations, seed } = shapleyParameters;
    Object.assign(shapley, { worker, version: id, done: 0, total: permutations, maps: null, started: now() });
    worker.onmessage = guarded((e) => {
      if (shapley.worker !== worker || e.data.id !== version) return; // a stale answer: ignored
      if (e.data.maps) {
        Object.assign(shapley, { maps: e.data.maps, worker: null, seconds: (now() - shapley.started) / 1000 });
        worker.terminate();
        cache.forEach((_, key) => key.startsWith("shapley_sampling") && cache.delete(key));
        update();
      } else {
        shapley.done = e.data.done;
        renderShapley();
        renderNodeView();
      }
    });
    worker.onerror = (e) => {
      e.preventDefault();
      report(`Shapley worker: ${e.message}`);
      cancelShapley();
      renderShapley();
    };
    const raw = { activation: P.activation };
    for (let k = 1; k <= P.depth; k++) Object.assign(raw, { [`W${k}`]: P[`W${k}`], [`b${k}`]: P[`b${k}`] });
    worker.postMessage({ id, raw, x: image, b: B, permutations, seed });
    renderShapley();
  }

  function cancelShapley() {
    if (shapley.worker) shapley.worker.terminate();
    shapley.worker = null;
  }

  function renderShapley() {
    const sample = sampleOf(S.pick), embedded = sample && sample.shapley ? Object.keys(sample.shapley) : [];
    const live = shapley.version === version && shapley.maps, running = !!shapley.worker;
    const bar = $("shapley-progress"), button = $("shapley-run");
    let text;
    if (running) text = `Computing Shapley values in the background: ${shapley.done} / ${shapley.total} permutations`;
    else if (live) text = `Shapley values of this image: computed here in ${shapley.seconds.toFixed(1)} s, every layer.`;
    else if (embedded.length) text = `Shapley values: precomputed for this sample (${embedded.join(", ")}).`;
    else text = "Shapley values are slow to compute: run them for this image in the background.";
    $("shapley-text").textContent = text;
    bar.hidden = !running;
    bar.max = shapley.total || 1;
    bar.value = shapley.done;
    button.textContent = running ? "Cancel" : "Compute Shapley values";
    button.disabled = !running && (!!live || embedded.length === LAYERS.length);
  }

  // ---- controls ----------------------------------------------------------------------------

  const label = (m) => m.replace(/_/g, " ");

  function radios(box, name, options, text, title) {
    for (const o of options) {
      const input = document.createElement("input");
      Object.assign(input, { type: "radio", name, id: `${name}-${o}`, value: o });
      const lab = document.createElement("label");
      lab.htmlFor = input.id;
      lab.textContent = text(o);
      lab.title = title(o);
      box.append(input, lab);
    }
  }

  function buildControls() {
    document.title && ($("title").textContent = document.title);
    radios($("methods"), "method", methodsShown(), label, (m) => data.method_meaning[m] || SHAPLEY_MEANING);
    radios($("layers"), "layer", LAYERS, (l) => `${l} · ${nodesOf(l)}`, (l) => data.network.meaning[l]);
    const select = $("pick"), group = (text) => Object.assign(document.createElement("optgroup"), { label: text });
    const add = (parent, key) => parent.append(new Option(pickLabel(key), key));
    add(select, "drawing");
    const sampleGroup = group("Samples"), imageGroup = group("Images");
    const classGroup = group(classes ? `Class means of the ${classes.split} split (sweep)` : "");
    for (const key of picks()) {
      add(key.startsWith("sample:") ? sampleGroup : key.startsWith("class:") ? classGroup : imageGroup, key);
    }
    select.append(...[sampleGroup, imageGroup, classGroup].filter((g) => g.children.length));

    const on = (id, type, f) => $(id).addEventListener(type, guarded(f));
    on("pick", "change", (e) => pick(e.target.value));
    on("methods", "change", (e) => set({ method: e.target.value }));
    on("layers", "change", (e) => set({ layer: e.target.value }));
    for (const name of ["scale", "colour"]) {
      for (const el of document.querySelectorAll(`input[name=${name}]`)) {
        el.addEventListener("change", guarded(() => set({ [name]: el.value })));
      }
    }
    on("overlay", "change", (e) => set({ overlay: e.target.checked }));
    on("grid-mode", "change", (e) => set({ grid: e.target.checked }));
    on("sweep", "change", (e) => set({ sweep: e.target.checked }));
    on("shapley-run", "click", () => (shapley.worker ? (cancelShapley(), renderShapley()) : runShapley()));
    const open = (e) => {
      const cell = e.target.closest(".cell");
      if (!cell || !current || !current.maps) return;
      e.preventDefault();
      openNode(Number(cell.dataset.node));
    };
    on("grid", "click", open);
    on("grid", "keydown", (e) => (e.key === "Enter" || e.key === " ") && open(e));
    on("node-close", "click", closeNode);
    document.querySelectorAll("input[name=node-scale]").forEach((el) =>
      el.addEventListener("change", guarded(() => ((nodeScaleMode = el.value), renderNodeView()))));
    on("node-view", "click", (e) => e.target === $("node-view") && closeNode());
    const step = (d) => {
      if (!nodeView) return;
      const n = nodesOf(nodeView.layer);
      openNode((nodeView.node + d + n) % n, nodeView.layer);
    };
    on("node-prev", "click", () => step(-1));
    on("node-next", "click", () => step(1));
    document.addEventListener("keydown", guarded((e) => {
      if (!nodeView) return;
      if (e.key === "Escape") closeNode();
      else if (e.key === "ArrowLeft" && !/INPUT|SELECT/.test(e.target.tagName)) step(-1);
      else if (e.key === "ArrowRight" && !/INPUT|SELECT/.test(e.target.tagName)) step(1);
    }));
    bindHover($("grid"));
    bindHover($("node-panels"));
    window.addEventListener("resize", guarded(layoutGrid));
  }

  /** The controls show the state (after set() or pick() from the test interface too). */
  function renderControls() {
    const check = (id) => $(id) && ($(id).checked = true);
    check(`method-${S.method}`);
    check(`layer-${S.layer}`);
    check(`scale-${S.scale}`);
    check(`colour-${S.colour}`);
    $("overlay").checked = S.overlay;
    $("grid-mode").checked = S.grid;
    $("pick").value = S.pick;
    const k = classOf(S.pick);
    $("sweep-row").hidden = k === null;
    $("sweep").checked = S.sweep;
    if (k !== null) {
      const ready = classes.maps ? "" : " (decoding…)";
      const count = classes.count[k].toLocaleString("en");
      $("sweep-text").textContent = `show the sweep's mean maps instead (mean over the class's ${count} images)${ready}`;
    }
    $("app").classList.toggle("overlay", S.overlay);
    const diverging = S.colour === "diverging";
    $("app").classList.toggle("diverging", diverging);
    $("top").classList.toggle("diverging-key", diverging);
    $("key-zero").textContent = diverging ? "white = 0" : "gray = 0";
    $("key-up").textContent = diverging ? "red = raises the node" : "brighter = raises the node";
    $("key-down").textContent = diverging ? "blue = lowers it" : "darker = lowers it";
    $("app").classList.toggle("grid-mode", S.grid);
    $("method-text").textContent = `${label(S.method)}: ${data.method_meaning[S.method] || SHAPLEY_MEANING}.`;
    $("note").textContent = S.note;
  }

  const CHOICES = {
    method: () => methodsShown(),
    layer: () => LAYERS,
    scale: () => ["layer", "node"],
    colour: () => ["gray", "diverging"],
  };

  /** Sets controls as a person would, then redraws. */
  function set(options) {
    for (const [key, value] of Object.entries(options)) {
      if (CHOICES[key]) {
        if (!CHOICES[key]().includes(value)) {
          throw new Error(`set: ${key} must be one of ${CHOICES[key]().join(", ")}, got ${JSON.stringify(value)}`);
        }
        S[key] = value;
      } else if (key === "overlay" || key === "grid" || key === "sweep") {
        if (typeof value !== "boolean") throw new Error(`set: ${key} must be true or false`);
        S[key] = value && (key !== "sweep" || classOf(S.pick) !== null);
        if (key === "grid") stroke = null;
      } else throw new Error(`set: unknown option ${JSON.stringify(key)}`);
    }
    update();
  }

  // ---- test interface and benchmark --------------------------------------------------------

  const row = (maps, n) => maps.subarray(n * PIXELS, (n + 1) * PIXELS);
  const rows = (maps, nodes) => Array.from({ length: nodes }, (_, n) => Array.from(row(maps, n)));
  const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

  /** Draws every map of {layer: maps} (the grid for the shown layer, offscreen canvases else). */
  function redrawAll(byLayer) {
    const lut = LUT[S.colour];
    for (const [L, maps] of Object.entries(byLayer)) {
      const nodes = nodesOf(L);
      let cells = grid.byLayer[L] || grid.offscreen[L];
      if (!cells) cells = grid.offscreen[L] = Array.from({ length: nodes }, () => cellOf());
      const scale = scaleOf(maps, nodes, S.scale);
      for (let n = 0; n < nodes; n++) paint(cells[n], maps, n, typeof scale === "number" ? scale : scale[n], lut);
    }
  }

  function benchmark(repeats = 5) {
    const a = [], all = [], redraw = [];
    const live = data.live_methods;
    for (let r = 0; r < repeats; r++) {
      let t = now();
      const maps = compute("insertion", BENCH_LAYERS);
      redrawAll(maps);
      a.push(now() - t);
      t = now();
      for (const m of live) compute(m, BENCH_LAYERS);
      all.push(now() - t);
      t = now();
      redrawAll(maps);
      redraw.push(now() - t);
    }
    update();
    return { insertion_ms: median(a), all_ms: median(all), redraw_ms: median(redraw), repeats };
  }

  Object.assign(api, {
    samples: () => samples.map((s) => s.name),
    picks,
    pick,
    set,
    state: () => ({ ...S }),
    /** The colour map's table as drawn: [r, g, b] per gray level. */
    colours: (name) => Array.from(LUT[name], (c) => [c & 255, (c >> 8) & 255, (c >> 16) & 255]),
    image: () => Array.from(image),
    values: () => Object.fromEntries(LAYERS.map((L) => [L, Array.from(values[L])])),
    maps(method, L) {
      const shown = mapsOf(method, L);
      return shown && rows(shown.maps, nodesOf(L));
    },
    residuals(method, L) {
      const shown = mapsOf(method, L);
      return shown && Array.from(shown.residual);
    },
    shown() {
      if (!current || !current.maps) return { method: S.method, layer: S.layer, scale: null, gray: null };
      const nodes = nodesOf(current.layer), s = current.scale, single = typeof s === "number";
      const gray = Array.from({ length: nodes }, (_, n) =>
        Array.from(row(current.maps, n), (v) => level(v, single ? s : s[n])));
      const scale = single ? s : Array.from(s);
      return { method: current.method, layer: current.layer, scale, gray, sweep: !!current.sweep };
    },
    benchmark,
    /** The drawing's ink as the gray values (0..1) given to kernels.mnist_style. */
    ink() {
      readInk();
      return { height: PAD, width: PAD, gray: Array.from(gray) };
    },
    lastUpdate: () => ({ ...lastUpdate }),
    /** The times (ms) of the last 100 updates, each from the change to its maps drawn. */
    updates: () => recent.slice(),
    node: () => nodeView && {
      layer: nodeView.layer, node: nodeView.node, methods: Object.keys(nodeView.panels),
      scale: nodeScaleMode,
      scales: Object.fromEntries(Object.entries(nodeView.panels).map(([m, c]) => [m, c.scale ?? null])),
    },
    openNode: (n, L) => openNode(n, L),
    closeNode,
    shapley: () => ({
      running: !!shapley.worker, done: shapley.done, total: shapley.total,
      ready: shapley.version === version && !!shapley.maps,
    }),
    runShapley,
    /** True while a drawn frame or decoding is pending. */
    busy: () => !!frame || !!stroke || (classes !== null && classes.maps === null),
  });

  // ---- start -------------------------------------------------------------------------------

  async function start() {
    try {
      await load();
    } catch (err) {
      const refused = err instanceof Refusal;
      const box = $("failure");
      box.hidden = false;
      box.textContent = refused ? err.message : `The page could not read its data: ${err.message}`;
      api.errors.push(box.textContent);
      if (!refused) console.error(box.textContent);
      return;
    }
    S.layer = data.layers[0] || "z1";
    S.method = data.live_methods[0];
    buildControls();
    bindPad();
    $("app").hidden = false;
    const first = samples.find((s) => s.label !== null) || samples[0]; // a digit, if any
    pick(first ? `sample:${first.name}` : "empty");
    if (classes) {
      await loadClassMaps();
      update();
    }
    api.ready = true;
  }

  start().catch((err) => report(`The page failed to start: ${err.message}`));
})();
