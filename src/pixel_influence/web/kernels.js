"use strict";
/*
 * kernels.js: the numeric kernels of the explorer page, which recomputes the influence maps
 * live in the browser as the digit is drawn.
 *
 * It mirrors src/pixel_influence/methods.py (and network.forward, samples.mnist_style) name
 * for name: every snake_case function here has the Python function of the same name as its
 * reference, with the same arguments, the same semantics and the same float64 arithmetic
 * (Float64Array), so the two can be read side by side (tests/test_explorer_kernels.py holds
 * them to each other in a real Chromium). Pure functions: arrays in, arrays out.
 *
 * Data: params from make_params (row-major like numpy: W1 is (784, 50), W1[i * 50 + j]);
 * images are Float64Array(784); a method returns {layer: Float64Array(nodes * 784)}, node
 * major (node n's map is [n * 784, (n + 1) * 784)), Python's (nodes, pixels).
 *
 * Any dense network of network.py works: depth L >= 1, any widths, hidden activation sigmoid,
 * tanh, relu or identity, softmax output, layers a1, z1, ..., aL, zL (params.layers). The
 * book's shape (three layers, sigmoid) keeps its own unrolled passes and Jacobian chain
 * (params.book), which the page's speed targets were measured on; every other network goes
 * through the generic passes (_pass_generic) and chain (_chain_generic).
 *
 * A classic script (no modules): inlined in the page and, from its text, run in a Web Worker.
 */
var kernels = (function () {
  const LAYERS = ["a1", "z1", "a2", "z2", "a3", "z3"]; // the book's network's
  const ACTIVATIONS = ["sigmoid", "tanh", "relu", "identity"]; // network.ACTIVATIONS

  /** ("a1", "z1", ..., "aL", "zL") of a network of depth L (or of params): network.layer_names. */
  function layer_names(params_or_depth) {
    const count = typeof params_or_depth === "number" ? params_or_depth : params_or_depth.depth;
    const out = [];
    for (let k = 1; k <= count; k++) out.push(`a${k}`, `z${k}`);
    return out;
  }

  // ---- scratch buffers, kept between calls (the page recomputes on every pen stroke) ----

  const SCRATCH = new Map();

  /** A Float64Array of ``size`` elements reused between calls (contents undefined). */
  function _scratch(name, size) {
    let buffer = SCRATCH.get(name);
    if (buffer === undefined || buffer.length < size) {
      buffer = new Float64Array(Math.max(size, 16));
      SCRATCH.set(name, buffer);
    }
    return buffer.length === size ? buffer : buffer.subarray(0, size);
  }

  /** An Int32Array likewise. */
  function _int_scratch(name, size) {
    const key = "int:" + name;
    let buffer = SCRATCH.get(key);
    if (buffer === undefined || buffer.length < size) {
      buffer = new Int32Array(Math.max(size, 16));
      SCRATCH.set(key, buffer);
    }
    return buffer.length === size ? buffer : buffer.subarray(0, size);
  }

  /** The node arrays of one image, reused: {a1, z1, ..., aL, zL}. */
  function _values(name, params) {
    const out = {};
    for (const layer of params.layers) out[layer] = _scratch(name + "/" + layer, params.layer_sizes[layer]);
    return out;
  }

  // ---- the network (network.py) ----

  /**
   * The weights as float64, from typed arrays (Float32Array or Float64Array, row-major as
   * numpy) W1, b1, ..., WL, bL and, optionally, ``activation`` (absent: sigmoid, as
   * network.activation_of); float32 values convert exactly, as numpy's astype(float64). The
   * widths come from the bias lengths: sizes = [pixels, n1, ..., nL]; also depth (L),
   * activation, layers (a1 ... zL), layer_sizes {layer: nodes} and book (three layers,
   * sigmoid: the specialised passes).
   */
  function make_params(raw) {
    const out = {};
    let count = 0;
    while (raw[`W${count + 1}`] !== undefined && raw[`W${count + 1}`] !== null) count++;
    const keys = [];
    for (let k = 1; k <= Math.max(count, 1); k++) keys.push(`W${k}`, `b${k}`); // W1 at least
    for (const key of keys) {
      if (raw[key] === undefined || raw[key] === null || raw[key].length === undefined) {
        throw new Error(`make_params: ${key} is missing or not an array`);
      }
      out[key] = Float64Array.from(raw[key]);
    }
    const activation = raw.activation === undefined || raw.activation === null ? "sigmoid" : raw.activation;
    if (!ACTIVATIONS.includes(activation)) {
      throw new Error(
        `make_params: activation ${JSON.stringify(activation)} is not one of ${ACTIVATIONS.join(", ")}`);
    }
    const widths = [];
    for (let k = 1; k <= count; k++) widths.push(out[`b${k}`].length);
    const pixels = out.W1.length / widths[0];
    let consistent = Number.isInteger(pixels) && pixels >= 1;
    for (let k = 1; k <= count; k++) {
      const rows = k === 1 ? pixels : widths[k - 2];
      if (!(widths[k - 1] >= 1) || out[`W${k}`].length !== rows * widths[k - 1]) consistent = false;
    }
    if (!consistent) {
      const lengths = [];
      for (let k = 1; k <= count; k++) lengths.push(`W${k} ${out[`W${k}`].length}`, `b${k} ${widths[k - 1]}`);
      throw new Error(`make_params: inconsistent lengths ${lengths.join(", ")}`);
    }
    // small integers (not doubles such as 39200 / 50), so that index arithmetic stays integer
    out.sizes = [pixels | 0].concat(widths.map((n) => n | 0));
    out.depth = count;
    out.activation = activation;
    out.layers = layer_names(count);
    out.layer_sizes = {};
    for (let k = 1; k <= count; k++) out.layer_sizes[`a${k}`] = out.layer_sizes[`z${k}`] = out.sizes[k];
    out.book = count === 3 && activation === "sigmoid";
    return out;
  }

  /** A hidden layer's output from its pre-activation, as a new array (network.activate). */
  function activate(activation, a) {
    const out = new Float64Array(a.length);
    _activate_into(activation, a, out, a.length);
    return out;
  }

  function _activate_into(activation, a, out, length) {
    switch (activation) {
      case "sigmoid": for (let e = 0; e < length; e++) out[e] = 1 / (1 + Math.exp(-a[e])); return;
      case "tanh": for (let e = 0; e < length; e++) out[e] = Math.tanh(a[e]); return;
      case "relu": for (let e = 0; e < length; e++) out[e] = a[e] > 0 ? a[e] : 0; return;
      case "identity": for (let e = 0; e < length; e++) out[e] = a[e]; return;
      default: throw new Error(`activation ${JSON.stringify(activation)} is not one of ${ACTIVATIONS.join(", ")}`);
    }
  }

  /**
   * The activation's derivative from its input a and output z = act(a) into ``out``
   * (methods._slope: the sigmoid's as s (1 - s), tanh's 1 - tanh(a)^2, ReLU's 1 where a > 0).
   */
  function _slope_into(activation, a, z, out, length) {
    switch (activation) {
      case "sigmoid": for (let e = 0; e < length; e++) out[e] = z[e] * (1 - z[e]); return;
      case "tanh": for (let e = 0; e < length; e++) out[e] = 1 - z[e] * z[e]; return;
      case "relu": for (let e = 0; e < length; e++) out[e] = a[e] > 0 ? 1 : 0; return;
      case "identity": for (let e = 0; e < length; e++) out[e] = 1; return;
      default: throw new Error(`activation ${JSON.stringify(activation)} is not one of ${ACTIVATIONS.join(", ")}`);
    }
  }

  /** The derivative of the activation at a, as a new array (network.activation_slope). */
  function activation_slope(activation, a) {
    const z = activate(activation, a), out = new Float64Array(a.length);
    _slope_into(activation, a, z, out, a.length);
    return out;
  }

  /** 1 / (1 + exp(-a)), elementwise. */
  function sigmoid(a) {
    const out = new Float64Array(a.length);
    for (let i = 0; i < a.length; i++) out[i] = 1 / (1 + Math.exp(-a[i]));
    return out;
  }

  /** exp(a - max a) / sum, of one vector of logits. */
  function softmax(a) {
    const out = new Float64Array(a.length);
    _softmax_into(a, out);
    return out;
  }

  function _softmax_into(a, out) {
    const k = a.length;
    let top = -Infinity;
    for (let c = 0; c < k; c++) if (a[c] > top) top = a[c];
    let total = 0;
    for (let c = 0; c < k; c++) {
      out[c] = Math.exp(a[c] - top);
      total += out[c];
    }
    for (let c = 0; c < k; c++) out[c] /= total;
  }

  /** a1 = x @ W1 + b1 into ``a1``; pixels at 0 add nothing and are skipped. */
  function _a1_into(params, x, a1) {
    const W1 = params.W1, b1 = params.b1;
    const [pixels, h1] = params.sizes;
    a1.fill(0);
    for (let i = 0; i < pixels; i++) {
      const xi = x[i];
      if (xi === 0) continue;
      const row = i * h1;
      for (let j = 0; j < h1; j++) a1[j] += xi * W1[row + j];
    }
    for (let j = 0; j < h1; j++) a1[j] += b1[j];
  }

  const DERIVED = new WeakMap();

  /**
   * W2 ... WL transposed (WT[k] is nk x n(k-1); W2T and W3T for the book's passes), kept per
   * params: the passes take dot products.
   */
  function _derived(params) {
    let derived = DERIVED.get(params);
    if (derived === undefined) {
      const WT = [null, null];
      for (let k = 2; k <= params.depth; k++) {
        const rows = params.sizes[k - 1], cols = params.sizes[k], W = params[`W${k}`];
        const T = new Float64Array(cols * rows);
        for (let j = 0; j < rows; j++) {
          for (let n = 0; n < cols; n++) T[n * rows + j] = W[j * cols + n];
        }
        WT.push(T);
      }
      derived = { WT, W2T: WT[2], W3T: WT[3] };
      DERIVED.set(params, derived);
    }
    return derived;
  }

  /**
   * ``_pass`` and ``_pass_block`` of any network: the nodes after a1 of ``rows`` images (row r
   * of a layer at [r * nodes, ...)), up to index ``depth`` of params.layers; the hidden
   * layers use the activation, the last the softmax (network.forward_from_a1).
   */
  function _pass_generic(params, v, depth, rows) {
    const sizes = params.sizes, count = params.depth, activation = params.activation;
    const { WT } = _derived(params);
    for (let index = 1; index <= depth; index++) {
      const k = (index >> 1) + 1; // a_k at index 2(k - 1), z_k at 2(k - 1) + 1
      if (index & 1) { // z_k from a_k
        const nodes = sizes[k], a = v[`a${k}`], z = v[`z${k}`];
        if (k < count) _activate_into(activation, a, z, rows * nodes);
        else {
          for (let r = 0; r < rows; r++) {
            _softmax_into(a.subarray(r * nodes, (r + 1) * nodes), z.subarray(r * nodes, (r + 1) * nodes));
          }
        }
      } else { // a_k = z_(k-1) @ Wk + bk
        const inputs = sizes[k - 1], nodes = sizes[k], T = WT[k], b = params[`b${k}`];
        const z = v[`z${k - 1}`], a = v[`a${k}`];
        for (let r = 0; r < rows; r++) {
          const zr = r * inputs, ar = r * nodes;
          for (let n = 0; n < nodes; n++) {
            const o = n * inputs;
            let s = 0;
            for (let j = 0; j < inputs; j++) s += z[zr + j] * T[o + j];
            a[ar + n] = s + b[n];
          }
        }
      }
    }
  }

  /**
   * The nodes after a1 of one image into ``v`` (its a1 already set), up to layer index
   * ``depth`` of LAYERS (5: all). The book's shape; any other network: _pass_generic.
   */
  function _pass(params, v, depth) {
    if (!params.book) return _pass_generic(params, v, depth, 1);
    if (depth < 1) return;
    const [, h1, h2, k] = params.sizes;
    const { W2T, W3T } = _derived(params);
    const a1 = v.a1, z1 = v.z1, a2 = v.a2, z2 = v.z2, a3 = v.a3;
    for (let j = 0; j < h1; j++) z1[j] = 1 / (1 + Math.exp(-a1[j]));
    if (depth < 2) return;
    const b2 = params.b2, b3 = params.b3;
    for (let n = 0; n < h2; n++) {
      const o = n * h1;
      let s = 0;
      for (let j = 0; j < h1; j++) s += z1[j] * W2T[o + j];
      a2[n] = s + b2[n];
    }
    if (depth < 3) return;
    for (let n = 0; n < h2; n++) z2[n] = 1 / (1 + Math.exp(-a2[n]));
    if (depth < 4) return;
    for (let c = 0; c < k; c++) {
      const o = c * h2;
      let s = 0;
      for (let n = 0; n < h2; n++) s += z2[n] * W3T[o + n];
      a3[c] = s + b3[c];
    }
    if (depth < 5) return;
    _softmax_into(a3, v.z3);
  }

  const BLOCK = 4; // images a block pass computes together: each weight loaded once for four

  /** The node arrays of a block of BLOCK images, row r of a layer at [r * nodes, ...). */
  function _block(name, params) {
    const out = {};
    for (const layer of params.layers) {
      out[layer] = _scratch(name + "/" + layer, BLOCK * params.layer_sizes[layer]);
    }
    return out;
  }

  /**
   * ``_pass`` for the BLOCK images of a block at once (rows of ``b.a1`` set; unused rows need
   * only be finite): the hot loop of insertion, occlusion and Shapley sampling.
   */
  function _pass_block(params, b, depth) {
    if (!params.book) return _pass_generic(params, b, depth, BLOCK);
    if (depth < 1) return;
    const [, h1, h2, k] = params.sizes;
    const { W2T, W3T } = _derived(params);
    const a1 = b.a1, z1 = b.z1, a2 = b.a2, z2 = b.z2, a3 = b.a3, z3 = b.z3;
    for (let e = 0; e < BLOCK * h1; e++) z1[e] = 1 / (1 + Math.exp(-a1[e]));
    if (depth < 2) return;
    const b2 = params.b2, b3 = params.b3;
    let n = 0;
    for (; n + 1 < h2; n += 2) { // two rows of W2T a sweep: each z1 value loaded once for both
      const o = n * h1, u = o + h1;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, t0 = 0, t1 = 0, t2 = 0, t3 = 0;
      for (let j = 0; j < h1; j++) {
        const w = W2T[o + j], v = W2T[u + j];
        const e0 = z1[j], e1 = z1[h1 + j], e2 = z1[2 * h1 + j], e3 = z1[3 * h1 + j];
        s0 += e0 * w;
        s1 += e1 * w;
        s2 += e2 * w;
        s3 += e3 * w;
        t0 += e0 * v;
        t1 += e1 * v;
        t2 += e2 * v;
        t3 += e3 * v;
      }
      const bias = b2[n], next = b2[n + 1];
      a2[n] = s0 + bias;
      a2[h2 + n] = s1 + bias;
      a2[2 * h2 + n] = s2 + bias;
      a2[3 * h2 + n] = s3 + bias;
      a2[n + 1] = t0 + next;
      a2[h2 + n + 1] = t1 + next;
      a2[2 * h2 + n + 1] = t2 + next;
      a2[3 * h2 + n + 1] = t3 + next;
    }
    for (; n < h2; n++) {
      const o = n * h1;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let j = 0; j < h1; j++) {
        const w = W2T[o + j];
        s0 += z1[j] * w;
        s1 += z1[h1 + j] * w;
        s2 += z1[2 * h1 + j] * w;
        s3 += z1[3 * h1 + j] * w;
      }
      const bias = b2[n];
      a2[n] = s0 + bias;
      a2[h2 + n] = s1 + bias;
      a2[2 * h2 + n] = s2 + bias;
      a2[3 * h2 + n] = s3 + bias;
    }
    if (depth < 3) return;
    for (let e = 0; e < BLOCK * h2; e++) z2[e] = 1 / (1 + Math.exp(-a2[e]));
    if (depth < 4) return;
    for (let c = 0; c < k; c++) {
      const o = c * h2;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let n = 0; n < h2; n++) {
        const w = W3T[o + n];
        s0 += z2[n] * w;
        s1 += z2[h2 + n] * w;
        s2 += z2[2 * h2 + n] * w;
        s3 += z2[3 * h2 + n] * w;
      }
      const bias = b3[c];
      a3[c] = s0 + bias;
      a3[k + c] = s1 + bias;
      a3[2 * k + c] = s2 + bias;
      a3[3 * k + c] = s3 + bias;
    }
    if (depth < 5) return;
    for (let r = 0; r < BLOCK; r++) { // softmax of each row
      const o = r * k;
      let top = -Infinity;
      for (let c = 0; c < k; c++) if (a3[o + c] > top) top = a3[o + c];
      let total = 0;
      for (let c = 0; c < k; c++) {
        z3[o + c] = Math.exp(a3[o + c] - top);
        total += z3[o + c];
      }
      for (let c = 0; c < k; c++) z3[o + c] /= total;
    }
  }

  function _copy_values(params, v) {
    const out = {};
    for (const layer of params.layers) out[layer] = Float64Array.from(v[layer]);
    return out;
  }

  /** All node values of one flat image x in [0, 1]: {a1, z1, ..., aL, zL}. */
  function forward(params, x) {
    const v = _values("forward", params);
    _a1_into(params, x, v.a1);
    _pass(params, v, params.layers.length - 1);
    return _copy_values(params, v);
  }

  /** All node values given the first pre-activation a1; see forward. */
  function forward_from_a1(params, a1) {
    const v = _values("forward", params);
    v.a1.set(a1);
    _pass(params, v, params.layers.length - 1);
    return _copy_values(params, v);
  }

  // ---- helpers of the methods ----

  function _nodes(params, layer) {
    if (!Object.prototype.hasOwnProperty.call(params.layer_sizes, layer)) {
      throw new Error(
        `unknown layer ${JSON.stringify(layer)}, expected one of ${params.layers.join(", ")}`);
    }
    return params.layer_sizes[layer];
  }

  /** The deepest requested layer's index in params.layers (how far a forward pass must go). */
  function _depth(params, layers) {
    let depth = 0;
    for (const layer of layers) {
      _nodes(params, layer); // checks the name
      depth = Math.max(depth, params.layers.indexOf(layer));
    }
    return depth;
  }

  /** Zero maps {layer: Float64Array(nodes * pixels)} for the requested layers. */
  function _maps(params, layers) {
    const out = {};
    for (const layer of layers) {
      out[layer] = new Float64Array(_nodes(params, layer) * params.sizes[0]);
    }
    return out;
  }

  /**
   * The pixels that differ from the baseline and their differences x - baseline (scratch
   * arrays: {index, d, m}); every other pixel's value is exactly 0 in every method.
   */
  function _changed(x, baseline_image, pixels) {
    if (x.length !== pixels || baseline_image.length !== pixels) {
      throw new Error(
        `expected images of ${pixels} pixels, got ${x.length} and ${baseline_image.length}`);
    }
    const index = _int_scratch("changed", pixels), d = _scratch("changed.d", pixels);
    let m = 0;
    for (let i = 0; i < pixels; i++) {
      if (x[i] !== baseline_image[i]) {
        index[m] = i;
        d[m] = x[i] - baseline_image[i];
        m++;
      }
    }
    return { index, d, m };
  }

  /**
   * Node changes of one-pixel edits: pixel i's a1 is ``reference.a1 + sign * d_i W1[i]`` and
   * its value ``sign * (f(edited) - f(reference))``: insertion (sign 1, reference the
   * baseline) and occlusion (sign -1, reference x). One forward pass after a1 per changed
   * pixel, BLOCK pixels at a time.
   */
  function _one_pixel(params, reference_image, x, baseline_image, layers, sign) {
    const [pixels, h1] = params.sizes;
    const depth = _depth(params, layers);
    const { index, d, m } = _changed(x, baseline_image, pixels);
    const reference = _values("reference", params), edited = _block("edited", params);
    _a1_into(params, reference_image, reference.a1);
    _pass(params, reference, depth);
    const out = _maps(params, layers);
    const targets = layers.map((layer) => [out[layer], edited[layer], reference[layer]]);
    const W1 = params.W1, a1 = edited.a1, a1_reference = reference.a1;
    for (let q0 = 0; q0 < m; q0 += BLOCK) {
      const rows = Math.min(BLOCK, m - q0);
      for (let r = 0; r < BLOCK; r++) {
        const o = r * h1;
        if (r >= rows) { // padding: the reference itself
          for (let j = 0; j < h1; j++) a1[o + j] = a1_reference[j];
          continue;
        }
        const row = index[q0 + r] * h1, di = d[q0 + r];
        if (sign > 0) for (let j = 0; j < h1; j++) a1[o + j] = a1_reference[j] + di * W1[row + j];
        else for (let j = 0; j < h1; j++) a1[o + j] = a1_reference[j] - di * W1[row + j];
      }
      _pass_block(params, edited, depth);
      for (const [map, value, base] of targets) {
        const nodes = base.length;
        for (let r = 0; r < rows; r++) {
          const i = index[q0 + r], o = r * nodes;
          if (sign > 0) {
            for (let n = 0; n < nodes; n++) map[n * pixels + i] = value[o + n] - base[n];
          } else {
            for (let n = 0; n < nodes; n++) map[n * pixels + i] = base[n] - value[o + n];
          }
        }
      }
    }
    return out;
  }

  // ---- the methods ----

  /**
   * The original article's method: f(baseline with only pixel i of x) - f(baseline). The a1
   * of the inserted image is a1(baseline) + (x_i - b_i) W1[i]: one pass after a1 per pixel.
   */
  function insertion(params, x, baseline_image, layers) {
    return _one_pixel(params, baseline_image, x, baseline_image, layers, 1);
  }

  /** Leave-one-out: f(x) - f(x with pixel i set to the baseline). */
  function occlusion(params, x, baseline_image, layers) {
    return _one_pixel(params, x, x, baseline_image, layers, -1);
  }

  /** sigmoid'(a) = s (1 - s) from s = sigmoid(a), elementwise into ``out``. */
  function _slope_of_sigmoid(s, out) {
    for (let j = 0; j < s.length; j++) out[j] = s[j] * (1 - s[j]);
  }

  /** d softmax / d logits for probabilities s into ``out`` (k * k): diag(s) - s s^T. */
  function _softmax_jacobian_into(s, out) {
    const k = s.length;
    for (let r = 0; r < k; r++) {
      for (let c = 0; c < k; c++) out[r * k + c] = s[r] * ((r === c ? 1 : 0) - s[c]);
    }
  }

  /**
   * methods._chain, rearranged for speed: carry each changed pixel's contribution to a1,
   * c = d_i W1[i, :], through the network with the given local multipliers (one set per
   * quadrature point p with weight w[p]: the slopes s1 (points x h1) and s2 (points x h2) of
   * the sigmoids and the softmax Jacobian jac (points x k x k)), and sum over the points.
   * Every layer's change is linear in c, so the weighted sum of its Jacobians with respect
   * to a1, J (nodes x h1), is formed once and map[n, i] = sum_j J[n, j] c_j: mathematically
   * identical to the Python, which propagates all pixels through every point. a1 and z1 are
   * diagonal (J = I and diag(sum_p w_p s1_p)) and need no product.
   */
  function _chain(params, x, baseline_image, layers, points, w, s1, s2, jac) {
    const [pixels, h1, h2, k] = params.sizes;
    const W2 = params.W2, W3 = params.W3;
    _depth(params, layers);
    const { index, d, m } = _changed(x, baseline_image, pixels);
    const wants = new Set(layers);
    // S1 = sum_p w_p s1_p: the multiplier of z1 and the column scale of a2's Jacobian
    const S1 = _scratch("chain.S1", h1);
    S1.fill(0);
    for (let p = 0; p < points; p++) {
      for (let j = 0; j < h1; j++) S1[j] += w[p] * s1[p * h1 + j];
    }
    // rows of the Jacobians with respect to a1 of the full layers, one after another
    const dense = ["a2", "z2", "a3", "z3"].filter((layer) => wants.has(layer));
    let rows = 0;
    const first = {};
    for (const layer of dense) {
      first[layer] = rows;
      rows += _nodes(params, layer);
    }
    const J = _scratch("chain.J", rows * h1);
    if (wants.has("a2")) { // J[n, j] = W2[j, n] S1[j]
      const o = first.a2 * h1;
      for (let n = 0; n < h2; n++) {
        for (let j = 0; j < h1; j++) J[o + n * h1 + j] = W2[j * h2 + n] * S1[j];
      }
    }
    let Z = null; // z2's Jacobian: W2[j, n] sum_p w_p s2_p[n] s1_p[j]
    if (wants.has("z2") || wants.has("a3") || (wants.has("z3") && points === 1)) {
      Z = wants.has("z2") ? J.subarray(first.z2 * h1, (first.z2 + h2) * h1)
        : _scratch("chain.Z", h2 * h1);
      if (points === 1) {
        for (let n = 0; n < h2; n++) {
          const ws = w[0] * s2[n], o = n * h1;
          for (let j = 0; j < h1; j++) Z[o + j] = ws * s1[j];
        }
      } else { // dot products over the points of w s2 and s1, both transposed
        const ws2 = _scratch("chain.ws2", h2 * points), s1t = _scratch("chain.s1t", h1 * points);
        for (let p = 0; p < points; p++) {
          for (let n = 0; n < h2; n++) ws2[n * points + p] = w[p] * s2[p * h2 + n];
          for (let j = 0; j < h1; j++) s1t[j * points + p] = s1[p * h1 + j];
        }
        for (let n = 0; n < h2; n++) {
          for (let j = 0; j < h1; j++) {
            const a = n * points, b = j * points;
            let t0 = 0, t1 = 0, p = 0;
            for (; p + 1 < points; p += 2) {
              t0 += ws2[a + p] * s1t[b + p];
              t1 += ws2[a + p + 1] * s1t[b + p + 1];
            }
            if (p < points) t0 += ws2[a + p] * s1t[b + p];
            Z[n * h1 + j] = t0 + t1;
          }
        }
      }
      for (let n = 0; n < h2; n++) {
        for (let j = 0; j < h1; j++) Z[n * h1 + j] *= W2[j * h2 + n];
      }
    }
    let A = null; // a3's Jacobian: W3^T Z
    if (wants.has("a3") || (wants.has("z3") && points === 1)) {
      A = wants.has("a3") ? J.subarray(first.a3 * h1, (first.a3 + k) * h1)
        : _scratch("chain.A", k * h1);
      A.fill(0);
      for (let n = 0; n < h2; n++) {
        for (let c = 0; c < k; c++) {
          const v = W3[n * k + c], o = c * h1, r = n * h1;
          for (let j = 0; j < h1; j++) A[o + j] += v * Z[r + j];
        }
      }
    }
    if (wants.has("z3")) { // sum_p w_p jac_p W3^T diag(s2_p) W2^T diag(s1_p)
      const o = first.z3 * h1;
      const out = J.subarray(o, o + k * h1);
      out.fill(0);
      if (points === 1) {
        for (let c = 0; c < k; c++) {
          for (let e = 0; e < k; e++) {
            const v = jac[c * k + e], r = e * h1;
            for (let j = 0; j < h1; j++) out[c * h1 + j] += v * A[r + j];
          }
        }
      } else {
        // per point X = W3^T diag(s2_p) (k x h2, padded with a zero row to an even count),
        // M = X W2^T (k x h1; two rows of X and four of W2 a sweep), then
        // J += w_p jac_p M diag(s1_p)
        const { W3T } = _derived(params);
        const padded = k + (k % 2);
        const X = _scratch("chain.X", padded * h2), M = _scratch("chain.M", padded * h1);
        X.fill(0);
        for (let p = 0; p < points; p++) {
          for (let c = 0; c < k; c++) {
            for (let n = 0; n < h2; n++) X[c * h2 + n] = W3T[c * h2 + n] * s2[p * h2 + n];
          }
          for (let c = 0; c < padded; c += 2) {
            const x0 = c * h2, x1 = x0 + h2, m0 = c * h1, m1 = m0 + h1;
            let j = 0;
            for (; j + 3 < h1; j += 4) {
              const r0 = j * h2, r1 = r0 + h2, r2 = r1 + h2, r3 = r2 + h2;
              let a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
              for (let n = 0; n < h2; n++) {
                const e = X[x0 + n], f = X[x1 + n];
                const v0 = W2[r0 + n], v1 = W2[r1 + n], v2 = W2[r2 + n], v3 = W2[r3 + n];
                a0 += e * v0;
                a1 += e * v1;
                a2 += e * v2;
                a3 += e * v3;
                b0 += f * v0;
                b1 += f * v1;
                b2 += f * v2;
                b3 += f * v3;
              }
              M[m0 + j] = a0;
              M[m0 + j + 1] = a1;
              M[m0 + j + 2] = a2;
              M[m0 + j + 3] = a3;
              M[m1 + j] = b0;
              M[m1 + j + 1] = b1;
              M[m1 + j + 2] = b2;
              M[m1 + j + 3] = b3;
            }
            for (; j < h1; j++) {
              const r = j * h2;
              let a0 = 0, b0 = 0;
              for (let n = 0; n < h2; n++) {
                const v = W2[r + n];
                a0 += X[x0 + n] * v;
                b0 += X[x1 + n] * v;
              }
              M[m0 + j] = a0;
              M[m1 + j] = b0;
            }
          }
          for (let c = 0; c < k; c++) {
            const o = c * h1, g = (p * k + c) * k, q = p * h1, wp = w[p];
            let j = 0;
            for (; j + 3 < h1; j += 4) { // four columns a sweep: independent sums
              let t0 = 0, t1 = 0, t2 = 0, t3 = 0;
              for (let e = 0; e < k; e++) {
                const v = jac[g + e], r = e * h1 + j;
                t0 += v * M[r];
                t1 += v * M[r + 1];
                t2 += v * M[r + 2];
                t3 += v * M[r + 3];
              }
              out[o + j] += wp * t0 * s1[q + j];
              out[o + j + 1] += wp * t1 * s1[q + j + 1];
              out[o + j + 2] += wp * t2 * s1[q + j + 2];
              out[o + j + 3] += wp * t3 * s1[q + j + 3];
            }
            for (; j < h1; j++) {
              let t = 0;
              for (let e = 0; e < k; e++) t += jac[g + e] * M[e * h1 + j];
              out[o + j] += wp * t * s1[q + j];
            }
          }
        }
      }
    }
    return _chain_maps(params, layers, index, d, m, dense, first, J, S1, true);
  }

  /**
   * The chain methods' maps, from the rows J of the Jacobians of the ``dense`` layers with
   * respect to a1 (layer l's from row ``first[l]``) and z1's multiplier S1: per changed pixel
   * (``index``, its change ``d``, ``m`` of them) c = d_i W1[i], then one dot product per dense
   * row, BLOCK pixels at a time (rows of C; padding rows are 0). ``with_z1``: z1's maps are
   * S1 c (not where z1 is the output layer, among the dense rows).
   */
  function _chain_maps(params, layers, index, d, m, dense, first, J, S1, with_z1) {
    const pixels = params.sizes[0], h1 = params.sizes[1], W1 = params.W1;
    const out = _maps(params, layers);
    const a1_map = out.a1, z1_map = with_z1 ? out.z1 : undefined;
    const targets = dense.map((layer) => [out[layer], first[layer], _nodes(params, layer)]);
    const C = _scratch("chain.C", BLOCK * h1);
    for (let q0 = 0; q0 < m; q0 += BLOCK) {
      const count = Math.min(BLOCK, m - q0);
      for (let r = 0; r < BLOCK; r++) {
        const o = r * h1;
        if (r >= count) {
          for (let j = 0; j < h1; j++) C[o + j] = 0;
          continue;
        }
        const i = index[q0 + r], row = i * h1, di = d[q0 + r];
        for (let j = 0; j < h1; j++) C[o + j] = W1[row + j] * di;
        if (a1_map) for (let n = 0; n < h1; n++) a1_map[n * pixels + i] = C[o + n];
        if (z1_map) for (let n = 0; n < h1; n++) z1_map[n * pixels + i] = S1[n] * C[o + n];
      }
      const i0 = index[q0], i1 = index[q0 + Math.min(1, count - 1)];
      const i2 = index[q0 + Math.min(2, count - 1)], i3 = index[q0 + Math.min(3, count - 1)];
      for (const [map, start, nodes] of targets) {
        _dots(J, start, nodes, h1, C, map, pixels, i0, i1, i2, i3);
      }
    }
    return out;
  }

  /**
   * map[n, i_r] = J[start + n, :] . C[r, :] for the BLOCK pixels i_r of a block (the hot loop of
   * the chain methods; a small function of its own so that it is compiled on its own). A
   * padding row of C (0) shares the last pixel's index and is written before it.
   */
  function _dots(J, start, nodes, h1, C, map, pixels, i0, i1, i2, i3) {
    const c1 = h1, c2 = 2 * h1, c3 = 3 * h1;
    let n = 0;
    for (; n + 1 < nodes; n += 2) { // two rows of J a sweep: each C value loaded once for both
      const r = (start + n) * h1, u = r + h1;
      let t0 = 0, t1 = 0, t2 = 0, t3 = 0, v0 = 0, v1 = 0, v2 = 0, v3 = 0;
      for (let j = 0; j < h1; j++) {
        const x = J[r + j], y = J[u + j];
        const e0 = C[j], e1 = C[c1 + j], e2 = C[c2 + j], e3 = C[c3 + j];
        t0 += x * e0;
        t1 += x * e1;
        t2 += x * e2;
        t3 += x * e3;
        v0 += y * e0;
        v1 += y * e1;
        v2 += y * e2;
        v3 += y * e3;
      }
      const o = n * pixels, p = o + pixels;
      map[o + i3] = t3;
      map[o + i2] = t2;
      map[o + i1] = t1;
      map[o + i0] = t0;
      map[p + i3] = v3;
      map[p + i2] = v2;
      map[p + i1] = v1;
      map[p + i0] = v0;
    }
    if (n < nodes) {
      const r = (start + n) * h1;
      let t0 = 0, t1 = 0, t2 = 0, t3 = 0;
      for (let j = 0; j < h1; j++) {
        const x = J[r + j];
        t0 += x * C[j];
        t1 += x * C[c1 + j];
        t2 += x * C[c2 + j];
        t3 += x * C[c3 + j];
      }
      const o = n * pixels;
      map[o + i3] = t3;
      map[o + i2] = t2;
      map[o + i1] = t1;
      map[o + i0] = t0;
    }
  }

  /**
   * methods._chain for any network, rearranged as the book's _chain: the weighted sum over
   * the points p (weights w[p]) of each requested layer's Jacobian with respect to a1, J
   * (nodes x n1), is formed once by carrying the Jacobians layer by layer (a1: the identity,
   * zk = diag(slope_k) ak for the hidden layers, a(k+1) = W(k+1)^T zk, zL = jac aL), and
   * map[n, i] = J[n, :] . (d_i W1[i, :]). ``slopes[k - 1]`` holds the points' multipliers of
   * hidden layer k (points x nk), ``jac`` the softmax's (points x nL x nL). a1 needs no
   * product, and z1 of a deeper network is diagonal (diag(sum_p w_p slope_1p)).
   */
  function _chain_generic(params, x, baseline_image, layers, points, w, slopes, jac) {
    const sizes = params.sizes, count = params.depth, pixels = sizes[0], h1 = sizes[1];
    const deepest = _depth(params, layers);
    const { index, d, m } = _changed(x, baseline_image, pixels);
    const wants = new Set(layers);
    // the layers with a full Jacobian, one after another in J
    const dense = params.layers.filter((l) => wants.has(l) && l !== "a1" && !(l === "z1" && count > 1));
    let total = 0;
    const first = {};
    for (const layer of dense) {
      first[layer] = total;
      total += _nodes(params, layer);
    }
    const J = _scratch("chain_generic.J", total * h1);
    J.fill(0);
    const S1 = _scratch("chain_generic.S1", h1);
    S1.fill(0);
    if (count > 1) {
      for (let p = 0; p < points; p++) {
        for (let j = 0; j < h1; j++) S1[j] += w[p] * slopes[0][p * h1 + j];
      }
    }
    const add = (layer, M, wp, nodes) => { // J[layer] += wp M
      const o = first[layer] * h1;
      for (let e = 0; e < nodes * h1; e++) J[o + e] += wp * M[e];
    };
    for (let p = 0; p < points; p++) {
      const wp = w[p];
      let A = null; // ak's Jacobian (nk x h1); null for a1 (the identity)
      for (let k = 1; k <= count; k++) {
        const nodes = sizes[k], ia = 2 * (k - 1);
        if (ia > deepest) break;
        if (k > 1 && wants.has(`a${k}`)) add(`a${k}`, A, wp, nodes);
        if (ia + 1 > deepest) break;
        if (k === count) { // zL = jac aL
          const g = p * nodes * nodes;
          const Z = _scratch(`chain_generic.Z${k}`, nodes * h1);
          if (k === 1) for (let e = 0; e < nodes * nodes; e++) Z[e] = jac[g + e];
          else {
            Z.fill(0);
            for (let c = 0; c < nodes; c++) {
              for (let e = 0; e < nodes; e++) {
                const v = jac[g + c * nodes + e], r = e * h1, o = c * h1;
                for (let j = 0; j < h1; j++) Z[o + j] += v * A[r + j];
              }
            }
          }
          if (wants.has(`z${k}`)) add(`z${k}`, Z, wp, nodes);
          break;
        }
        const s = slopes[k - 1], q = p * nodes, next = sizes[k + 1], W = params[`W${k + 1}`];
        const needNext = ia + 2 <= deepest;
        const An = needNext ? _scratch(`chain_generic.A${k + 1}`, next * h1) : null;
        if (k === 1) { // z1 = diag(s) a1: a2[c, j] = W2[j, c] s[j]
          if (needNext) {
            for (let c = 0; c < next; c++) {
              for (let j = 0; j < h1; j++) An[c * h1 + j] = W[j * next + c] * s[q + j];
            }
          }
        } else {
          const Z = _scratch(`chain_generic.Z${k}`, nodes * h1);
          for (let n = 0; n < nodes; n++) {
            const v = s[q + n], o = n * h1;
            for (let j = 0; j < h1; j++) Z[o + j] = v * A[o + j];
          }
          if (wants.has(`z${k}`)) add(`z${k}`, Z, wp, nodes);
          if (needNext) { // a(k+1) = W(k+1)^T zk
            An.fill(0);
            for (let n = 0; n < nodes; n++) {
              const r = n * h1;
              for (let c = 0; c < next; c++) {
                const v = W[n * next + c], o = c * h1;
                if (v === 0) continue;
                for (let j = 0; j < h1; j++) An[o + j] += v * Z[r + j];
              }
            }
          }
        }
        A = An;
      }
    }
    return _chain_maps(params, layers, index, d, m, dense, first, J, S1, count > 1);
  }

  /** The hidden layers' multipliers (one array each, nk) and the softmax Jacobian of one pass. */
  function _local_multipliers(params, v) {
    const slopes = [];
    for (let k = 1; k < params.depth; k++) {
      const nodes = params.sizes[k], s = _scratch(`local.s${k}`, nodes);
      _slope_into(params.activation, v[`a${k}`], v[`z${k}`], s, nodes);
      slopes.push(s);
    }
    const k = params.sizes[params.depth], jac = _scratch("local.jac", k * k);
    _softmax_jacobian_into(v[`z${params.depth}`], jac);
    return { slopes, jac };
  }

  /** Gradient of each node at x times (x - baseline): the local derivatives at x. */
  function gradient_input(params, x, baseline_image, layers) {
    if (!params.book) {
      const v = _values("gradient", params);
      _a1_into(params, x, v.a1);
      _pass(params, v, params.layers.length - 1);
      const { slopes, jac } = _local_multipliers(params, v);
      return _chain_generic(params, x, baseline_image, layers, 1, ONE, slopes, jac);
    }
    const [, h1, h2, k] = params.sizes;
    const v = _values("gradient", params);
    _a1_into(params, x, v.a1);
    _pass(params, v, 5);
    const s1 = _scratch("gradient.s1", h1), s2 = _scratch("gradient.s2", h2);
    const jac = _scratch("gradient.jac", k * k);
    _slope_of_sigmoid(v.z1, s1);
    _slope_of_sigmoid(v.z2, s2);
    _softmax_jacobian_into(v.z3, jac);
    return _chain(params, x, baseline_image, layers, 1, ONE, s1, s2, jac);
  }

  const ONE = new Float64Array([1]);

  const GAUSS_LEGENDRE = new Map();

  /**
   * The ``points``-point Gauss-Legendre rule on [0, 1], kept once computed (internal: do not
   * modify). The roots of the Legendre polynomial P_n by Newton's method from Tricomi-like
   * starting values cos(pi (i + 3/4) / (n + 1/2)), the polynomials by their three-term
   * recurrence; weights 2 / ((1 - z^2) P_n'(z)^2). Nodes (z + 1) / 2, weights halved.
   */
  function _gauss_legendre(points) {
    const cached = GAUSS_LEGENDRE.get(points);
    if (cached !== undefined) return cached;
    const n = points;
    if (!Number.isInteger(n) || n < 1) {
      throw new Error(`gauss_legendre: points must be a whole number >= 1, got ${points}`);
    }
    const t = new Float64Array(n), w = new Float64Array(n);
    const legendre = (z) => { // [P_n(z), P_n'(z)]
      let p0 = 1, p1 = z;
      for (let j = 1; j < n; j++) {
        const p2 = ((2 * j + 1) * z * p1 - j * p0) / (j + 1);
        p0 = p1;
        p1 = p2;
      }
      return [p1, (n * (z * p1 - p0)) / (z * z - 1)];
    };
    for (let i = 0; i < Math.ceil(n / 2); i++) {
      let z = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5)); // the i-th largest root
      if (n % 2 === 1 && i === (n - 1) / 2) {
        z = 0; // the middle root of an odd rule
      } else {
        for (let iteration = 0, close = false; iteration < 100; iteration++) {
          const [p, dp] = legendre(z);
          const step = p / dp;
          z -= step;
          if (close) break; // one step past 1e-10: converged quadratically to rounding
          if (Math.abs(step) < 1e-10) close = true;
        }
      }
      const dp = legendre(z)[1];
      const weight = 2 / ((1 - z * z) * dp * dp);
      t[n - 1 - i] = (z + 1) / 2;
      t[i] = (1 - z) / 2;
      w[n - 1 - i] = weight / 2;
      w[i] = weight / 2;
    }
    const rule = { t, w };
    GAUSS_LEGENDRE.set(points, rule);
    return rule;
  }

  /** Abscissae and weights of the ``points``-point Gauss-Legendre rule on [0, 1]: {t, w}. */
  function gauss_legendre(points) {
    const { t, w } = _gauss_legendre(points);
    return { t: Float64Array.from(t), w: Float64Array.from(w) };
  }

  /**
   * Path integral of the gradient from the baseline to x, times (x - baseline), by
   * ``points``-point Gauss-Legendre quadrature in float64. The forward pass at
   * baseline + t (x - baseline) starts from a1(baseline) + t (a1(x) - a1(baseline)) (a1 is
   * affine in the image); the weighted Jacobians of all points are summed once.
   */
  function integrated_gradients(params, x, baseline_image, layers, points = 64) {
    if (!params.book) return _integrated_gradients_generic(params, x, baseline_image, layers, points);
    const [pixels, h1, h2, k] = params.sizes;
    const { t, w } = _gauss_legendre(points);
    const { index, d, m } = _changed(x, baseline_image, pixels);
    const v = _block("integrated", params);
    const a1_baseline = _scratch("integrated.a1_baseline", h1);
    const change = _scratch("integrated.change", h1);
    _a1_into(params, baseline_image, a1_baseline);
    change.fill(0);
    for (let q = 0; q < m; q++) {
      const row = index[q] * h1, dq = d[q];
      for (let j = 0; j < h1; j++) change[j] += dq * params.W1[row + j];
    }
    const s1 = _scratch("integrated.s1", points * h1), s2 = _scratch("integrated.s2", points * h2);
    const jac = _scratch("integrated.jac", points * k * k);
    for (let p0 = 0; p0 < points; p0 += BLOCK) { // BLOCK points a pass (the last repeated)
      for (let r = 0; r < BLOCK; r++) {
        const tp = t[Math.min(p0 + r, points - 1)];
        for (let j = 0; j < h1; j++) v.a1[r * h1 + j] = a1_baseline[j] + tp * change[j];
      }
      _pass_block(params, v, 5);
      for (let r = 0; r < Math.min(BLOCK, points - p0); r++) {
        const p = p0 + r;
        _slope_of_sigmoid(v.z1.subarray(r * h1, (r + 1) * h1), s1.subarray(p * h1, (p + 1) * h1));
        _slope_of_sigmoid(v.z2.subarray(r * h2, (r + 1) * h2), s2.subarray(p * h2, (p + 1) * h2));
        _softmax_jacobian_into(
          v.z3.subarray(r * k, (r + 1) * k), jac.subarray(p * k * k, (p + 1) * k * k));
      }
    }
    return _chain(params, x, baseline_image, layers, points, w, s1, s2, jac);
  }

  /** integrated_gradients of any network: one pass per point, the multipliers of each kept. */
  function _integrated_gradients_generic(params, x, baseline_image, layers, points) {
    const sizes = params.sizes, count = params.depth, pixels = sizes[0], h1 = sizes[1];
    const { t, w } = _gauss_legendre(points);
    const { index, d, m } = _changed(x, baseline_image, pixels);
    const v = _values("integrated", params);
    const a1_baseline = _scratch("integrated.a1_baseline", h1);
    const change = _scratch("integrated.change", h1);
    _a1_into(params, baseline_image, a1_baseline);
    change.fill(0);
    for (let q = 0; q < m; q++) {
      const row = index[q] * h1, dq = d[q];
      for (let j = 0; j < h1; j++) change[j] += dq * params.W1[row + j];
    }
    const slopes = [];
    for (let k = 1; k < count; k++) slopes.push(_scratch(`integrated.s${k}`, points * sizes[k]));
    const K = sizes[count], jac = _scratch("integrated.jac", points * K * K);
    for (let p = 0; p < points; p++) {
      for (let j = 0; j < h1; j++) v.a1[j] = a1_baseline[j] + t[p] * change[j];
      _pass(params, v, params.layers.length - 1);
      for (let k = 1; k < count; k++) {
        const nodes = sizes[k];
        _slope_into(params.activation, v[`a${k}`], v[`z${k}`],
          slopes[k - 1].subarray(p * nodes, (p + 1) * nodes), nodes);
      }
      _softmax_jacobian_into(v[`z${count}`], jac.subarray(p * K * K, (p + 1) * K * K));
    }
    return _chain_generic(params, x, baseline_image, layers, points, w, slopes, jac);
  }

  /** log(cosh p) for any p without overflow: |p| + log1p(exp(-2|p|)) - log 2. */
  function _log_cosh(p) {
    const a = Math.abs(p);
    return a + Math.log1p(Math.exp(-2 * a)) - Math.LN2;
  }

  /**
   * (tanh p - tanh q) / (p - q) = (sinh d / d) / (cosh p cosh q), d = p - q, in logs so that
   * nothing overflows however far apart p and q are (network._tanh_secant).
   */
  function _tanh_secant(p, q) {
    const d = p - q, ad = Math.abs(d);
    const ratio = ad < 20 ? (d === 0 ? 0 : Math.log(Math.sinh(d) / d)) : ad - Math.log(2 * ad);
    return Math.exp(ratio - _log_cosh(p) - _log_cosh(q));
  }

  /**
   * (act(a) - act(b)) / (a - b) elementwise without cancellation; the slope where a == b
   * (network.activation_secant): tanh in logs, the sigmoid as a quarter of tanh's at half the
   * arguments, ReLU's chord, identity's 1.
   */
  function activation_secant(activation, a, b) {
    const out = new Float64Array(a.length);
    for (let i = 0; i < a.length; i++) {
      const p = a[i], q = b[i];
      switch (activation) {
        case "tanh": out[i] = _tanh_secant(p, q); break;
        case "sigmoid": out[i] = 0.25 * _tanh_secant(0.5 * p, 0.5 * q); break;
        case "relu": {
          const change = p - q;
          out[i] = change === 0 ? (p > 0 ? 1 : 0) : ((p > 0 ? p : 0) - (q > 0 ? q : 0)) / change;
          break;
        }
        case "identity": out[i] = 1; break;
        default:
          throw new Error(`activation ${JSON.stringify(activation)} is not one of ${ACTIVATIONS.join(", ")}`);
      }
    }
    return out;
  }

  /**
   * (sigmoid(a) - sigmoid(b)) / (a - b) elementwise, the rescale multiplier, without
   * cancellation: sinhc((a - b) / 2) / (4 cosh(a / 2) cosh(b / 2)), sinhc(t) = sinh(t) / t;
   * tends to sigmoid'(a) as b -> a; 0 where not finite.
   */
  function sigmoid_secant(a, b) {
    const out = new Float64Array(a.length);
    for (let i = 0; i < a.length; i++) {
      const half = (a[i] - b[i]) / 2;
      const sinhc = half === 0 ? 1 : Math.sinh(half) / half;
      const v = sinhc / (4 * Math.cosh(a[i] / 2) * Math.cosh(b[i] / 2));
      out[i] = Number.isFinite(v) ? v : 0;
    }
    return out;
  }

  /**
   * The mean Jacobian of softmax on the segment from ``reference`` to ``logits`` (k * k, row
   * major): M @ (logits - reference) = softmax(logits) - softmax(reference). Gauss-Legendre
   * points are doubled from 32 until that holds to ``tolerance`` or reach ``max_points``.
   */
  function softmax_secant(logits, reference, tolerance = 1e-14, max_points = 4096) {
    const k = logits.length;
    const change = new Float64Array(k), target = new Float64Array(k);
    const s = new Float64Array(k), at = new Float64Array(k), jac = new Float64Array(k * k);
    for (let c = 0; c < k; c++) change[c] = logits[c] - reference[c];
    const top = softmax(logits), bottom = softmax(reference);
    for (let c = 0; c < k; c++) target[c] = top[c] - bottom[c];
    for (let points = 32; ; points *= 2) {
      const { t, w } = _gauss_legendre(points);
      const mean = new Float64Array(k * k);
      for (let p = 0; p < points; p++) {
        for (let c = 0; c < k; c++) at[c] = reference[c] + t[p] * change[c];
        _softmax_into(at, s);
        _softmax_jacobian_into(s, jac);
        for (let e = 0; e < k * k; e++) mean[e] += w[p] * jac[e];
      }
      let error = 0;
      for (let r = 0; r < k; r++) {
        let v = 0;
        for (let c = 0; c < k; c++) v += mean[r * k + c] * change[c];
        error = Math.max(error, Math.abs(v - target[r]));
      }
      if (error <= tolerance || points >= max_points) return mean;
    }
  }

  /**
   * DeepLIFT with the rescale rule, complete at every layer including the softmax: the
   * sigmoids pass changes on with sigmoid_secant, the softmax with softmax_secant, so every
   * node's pixel contributions sum to f(x) - f(baseline).
   */
  function deeplift(params, x, baseline_image, layers) {
    const value = _values("deeplift.x", params), baseline = _values("deeplift.b", params);
    _a1_into(params, x, value.a1);
    _pass(params, value, params.layers.length - 1);
    _a1_into(params, baseline_image, baseline.a1);
    _pass(params, baseline, params.layers.length - 1);
    if (!params.book) { // methods._secant: the book's sigmoid_secant for the sigmoid
      const count = params.depth, slopes = [];
      for (let k = 1; k < count; k++) {
        const a = value[`a${k}`], b = baseline[`a${k}`];
        slopes.push(params.activation === "sigmoid" ? sigmoid_secant(a, b)
          : activation_secant(params.activation, a, b));
      }
      return _chain_generic(params, x, baseline_image, layers, 1, ONE, slopes,
        softmax_secant(value[`a${count}`], baseline[`a${count}`]));
    }
    return _chain(
      params, x, baseline_image, layers, 1, ONE,
      sigmoid_secant(value.a1, baseline.a1),
      sigmoid_secant(value.a2, baseline.a2),
      softmax_secant(value.a3, baseline.a3));
  }

  /**
   * A small seeded generator (xoshiro128** seeded by splitmix32), uniform in [0, 1). Not
   * numpy's stream: the page's Shapley values differ from the pipeline's within the
   * sampling error; their efficiency holds exactly either way.
   */
  function _generator(seed) {
    let x = (seed >>> 0) ^ Math.floor(seed / 4294967296);
    const splitmix = () => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    let a = splitmix(), b = splitmix(), c = splitmix(), d = splitmix();
    return () => {
      const result = Math.imul(((Math.imul(b, 5) << 7) | (Math.imul(b, 5) >>> 25)), 9) >>> 0;
      const t = b << 9;
      c ^= a; d ^= b; b ^= c; a ^= d; c ^= t;
      d = (d << 11) | (d >>> 21);
      return result / 4294967296;
    };
  }

  /**
   * Shapley values estimated from antithetic permutations of the changed pixels: pixels are
   * switched from the baseline to x one at a time in a random order, each credited with the
   * change it causes; each order is paired with its reverse, and the estimate is the mean
   * over the pairs. The last state of every order is x itself (its a1 bit for bit), so every
   * order telescopes to f(x) - f(baseline): exactly efficient. Two pairs (four orders) walk
   * in step as one block pass. Synchronous (the page runs it in a Web Worker);
   * ``progress(done, total)`` is called every 16 permutations and at the end.
   */
  function shapley_sampling(
    params, x, baseline_image, layers, permutations = 256, seed = 0, progress = null) {
    if (!Number.isInteger(permutations) || permutations < 2 || permutations % 2) {
      throw new Error(`shapley_sampling: permutations must be even and >= 2, got ${permutations}`);
    }
    const [pixels, h1] = params.sizes;
    const depth = _depth(params, layers);
    const { index, d, m } = _changed(x, baseline_image, pixels);
    const baseline = _values("shapley.b", params), value = _values("shapley.x", params);
    _a1_into(params, baseline_image, baseline.a1);
    _pass(params, baseline, depth);
    _a1_into(params, x, value.a1);
    const steps = _scratch("shapley.steps", m * h1); // pixel q's change of a1
    for (let q = 0; q < m; q++) {
      const row = index[q] * h1;
      for (let j = 0; j < h1; j++) steps[q * h1 + j] = d[q] * params.W1[row + j];
    }
    let width = 0;
    const parts = layers.map((layer) => {
      const part = [layer, width, _nodes(params, layer)];
      width += part[2];
      return part;
    });
    // credits summed over all orders, per changed pixel (m x width); the previous state of
    // each of the four orders (4 x width)
    const total = _scratch("shapley.total", m * width);
    const previous = _scratch("shapley.previous", BLOCK * width);
    const orders = [_int_scratch("shapley.order0", m), _int_scratch("shapley.order1", m)];
    total.fill(0);
    for (let q = 0; q < m; q++) orders[0][q] = orders[1][q] = q;
    const state = _block("shapley.state", params), a1 = state.a1;
    const random = _generator(seed);
    const pairs = permutations / 2;
    const shuffle = (order) => { // Fisher-Yates: a uniformly random order
      for (let s = m - 1; s > 0; s--) {
        const r = Math.floor(random() * (s + 1));
        const swap = order[s];
        order[s] = order[r];
        order[r] = swap;
      }
    };
    for (let done = 0; done < pairs && m > 0; ) {
      // the orders walked in step: pair A forwards and backwards, then pair B likewise
      const walks = Math.min(2, pairs - done) * 2;
      shuffle(orders[0]);
      if (walks > 2) shuffle(orders[1]);
      for (let r = 0; r < BLOCK; r++) {
        a1.set(baseline.a1, r * h1);
        for (const [layer, start, nodes] of parts) {
          previous.set(baseline[layer].subarray(0, nodes), r * width + start);
        }
      }
      for (let s = 0; s < m; s++) {
        for (let r = 0; r < walks; r++) {
          const order = orders[r >> 1];
          const q = order[r % 2 === 0 ? s : m - 1 - s];
          if (s === m - 1) a1.set(value.a1, r * h1);
          else for (let j = 0, o = q * h1, t = r * h1; j < h1; j++) a1[t + j] += steps[o + j];
        }
        _pass_block(params, state, depth);
        for (let r = 0; r < walks; r++) {
          const order = orders[r >> 1];
          const q = order[r % 2 === 0 ? s : m - 1 - s];
          for (const [layer, start, nodes] of parts) {
            const now = state[layer], o = r * nodes, p = r * width + start, t = q * width + start;
            for (let n = 0; n < nodes; n++) {
              total[t + n] += now[o + n] - previous[p + n];
              previous[p + n] = now[o + n];
            }
          }
        }
      }
      done += walks / 2;
      if (progress !== null && (done % 8 === 0 || done === pairs)) progress(2 * done, permutations);
    }
    if (m === 0 && progress !== null) progress(permutations, permutations);
    // the mean over pairs of the pair means: the total over all orders / permutations
    const out = _maps(params, layers);
    for (const [layer, start, nodes] of parts) {
      const map = out[layer];
      for (let q = 0; q < m; q++) {
        const i = index[q], o = q * width + start;
        for (let n = 0; n < nodes; n++) map[n * pixels + i] = total[o + n] / permutations;
      }
    }
    return out;
  }

  /**
   * Per node f(x) - f(baseline) - sum over pixels of its map: zero for a complete method.
   * ``influence`` is one layer's map (nodes * pixels, node major).
   */
  function residual(value, baseline, influence, nodes) {
    const pixels = influence.length / nodes;
    const out = new Float64Array(nodes);
    for (let n = 0; n < nodes; n++) {
      let total = 0;
      for (let i = n * pixels; i < (n + 1) * pixels; i++) total += influence[i];
      out[n] = value[n] - baseline[n] - total;
    }
    return out;
  }

  /** methods.METHODS: the names, whether complete, and the default parameters. */
  const METHODS = {
    insertion: { complete: false, parameters: {} },
    occlusion: { complete: false, parameters: {} },
    gradient_input: { complete: false, parameters: {} },
    integrated_gradients: { complete: true, parameters: { points: 64 } },
    deeplift: { complete: true, parameters: {} },
    shapley_sampling: { complete: true, parameters: { permutations: 256, seed: 0 } },
  };

  // ---- drawings as MNIST made its digits (samples.mnist_style) ----

  const MNIST_BOX = 20, MNIST_CENTRE = [14, 14], MIN_CONTRAST = 0.02, NOISE_SIGMAS = 5;
  const INK_THRESHOLD = 0.01, SPECKS = 0.02;

  /** Python's format(v, ".3g"). */
  function _g3(v) {
    if (v === 0) return "0";
    const [mantissa, exponent] = v.toExponential(2).split("e");
    const e = Number(exponent);
    const strip = (s) => (s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s);
    if (e < -4 || e >= 3) {
      return `${strip(mantissa)}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
    }
    return strip(v.toFixed(2 - e));
  }

  /** numpy.median of a Float64Array (sorted in place). */
  function _median(values) {
    values.sort();
    const n = values.length, h = n >> 1;
    return n % 2 ? values[h] : (values[h - 1] + values[h]) / 2;
  }

  /** Pillow's LANCZOS filter: sinc(x) sinc(x / 3) on [-3, 3). */
  function _lanczos(x) {
    if (-3.0 <= x && x < 3.0) {
      const sinc = (u) => (u === 0.0 ? 1.0 : Math.sin(u * Math.PI) / (u * Math.PI));
      return sinc(x) * sinc(x / 3);
    }
    return 0.0;
  }

  /** Pillow's precompute_coeffs (Resample.c) for the box [0, in_size]: {bounds, kk, ksize}. */
  function _precompute_coeffs(in_size, out_size) {
    const scale = in_size / out_size;
    const filterscale = Math.max(scale, 1.0);
    const support = 3.0 * filterscale;
    const ksize = Math.ceil(support) * 2 + 1;
    const kk = new Float64Array(out_size * ksize), bounds = new Int32Array(out_size * 2);
    for (let xx = 0; xx < out_size; xx++) {
      const center = (xx + 0.5) * scale;
      const ss = 1.0 / filterscale;
      let ww = 0.0;
      const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
      const xmax = Math.min(Math.trunc(center + support + 0.5), in_size) - xmin;
      const o = xx * ksize;
      for (let x = 0; x < xmax; x++) {
        const w = _lanczos((x + xmin - center + 0.5) * ss);
        kk[o + x] = w;
        ww += w;
      }
      if (ww !== 0.0) for (let x = 0; x < xmax; x++) kk[o + x] /= ww;
      bounds[xx * 2] = xmin;
      bounds[xx * 2 + 1] = xmax;
    }
    return { bounds, kk, ksize };
  }

  /**
   * Pillow 13's Image.fromarray(float32 image).resize((new_width, new_height), LANCZOS): the
   * horizontal pass first when the width changes, then the vertical one, each accumulating
   * in double and storing float32, as Resample.c does for "F" images.
   */
  function resize_lanczos(data, height, width, new_height, new_width) {
    let image = Float32Array.from(data), w = width;
    if (new_width !== width) {
      const { bounds, kk, ksize } = _precompute_coeffs(width, new_width);
      const out = new Float32Array(height * new_width);
      for (let yy = 0; yy < height; yy++) {
        const row = yy * width;
        for (let xx = 0; xx < new_width; xx++) {
          const xmin = bounds[xx * 2], xmax = bounds[xx * 2 + 1], o = xx * ksize;
          let ss = 0.0;
          for (let x = 0; x < xmax; x++) ss += image[row + x + xmin] * kk[o + x];
          out[yy * new_width + xx] = ss;
        }
      }
      image = out;
      w = new_width;
    }
    if (new_height !== height) {
      const { bounds, kk, ksize } = _precompute_coeffs(height, new_height);
      const out = new Float32Array(new_height * w);
      for (let yy = 0; yy < new_height; yy++) {
        const ymin = bounds[yy * 2], ymax = bounds[yy * 2 + 1], o = yy * ksize;
        for (let xx = 0; xx < w; xx++) {
          let ss = 0.0;
          for (let y = 0; y < ymax; y++) ss += image[(y + ymin) * w + xx] * kk[o + y];
          out[yy * w + xx] = ss;
        }
      }
      image = out;
    }
    return image;
  }

  /**
   * A grayscale drawing (Float64Array(height * width), 0..1, either polarity) as MNIST made
   * its digits: Float64Array(784), 28x28 in [0, 1]. The steps of samples.mnist_style: the
   * polarity from the border's median, the stretch above the border's noise, the crop to
   * the ink's bounding box (rows and columns with only specks left out), the resize with
   * Pillow's LANCZOS on float32 so the longer side is 20, the paste at the whole-pixel shift
   * putting the centre of mass nearest (14, 14) within the frame, the clip to [0, 1]. An
   * image without a digit throws an Error saying "no digit found".
   */
  function mnist_style(gray, height, width, source = "image") {
    if (!(height >= 1 && width >= 1) || gray.length !== height * width) {
      throw new Error(
        `${source}: expected a 2-D image with pixels, got shape (${height}, ${width})`);
    }
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < gray.length; i++) {
      const v = gray[i];
      if (!Number.isFinite(v)) {
        throw new Error(`${source}: the image holds non-finite values (NaN or infinity)`);
      }
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    // 1. polarity: the border as numpy.concatenate([a[0], a[-1], a[1:-1, 0], a[1:-1, -1]])
    const side = Math.max(height - 2, 0);
    const border = new Float64Array(2 * width + 2 * side);
    for (let x = 0; x < width; x++) {
      border[x] = gray[x];
      border[width + x] = gray[(height - 1) * width + x];
    }
    for (let y = 1; y < height - 1; y++) {
      border[2 * width + y - 1] = gray[y * width];
      border[2 * width + side + y - 1] = gray[y * width + width - 1];
    }
    const background = _median(Float64Array.from(border));
    const sign = background - lo > hi - background ? -1 : 1; // -1: dark digit on light
    const peak = sign > 0 ? hi - background : background - lo;
    for (let i = 0; i < border.length; i++) border[i] = Math.abs(border[i] - background);
    const noise = 1.4826 * _median(border);
    const floor = Math.min(NOISE_SIGMAS * noise, peak);
    const contrast = peak - floor;
    if (hi - lo < MIN_CONTRAST) {
      const values = hi === lo ? `every pixel ${_g3(lo)}` : `pixel values ${_g3(lo)} to ${_g3(hi)}`;
      throw new Error(
        `${source}: no digit found: the image is uniform (${values} on a 0 to 1 scale); ` +
        "expected a digit that stands out from a plain background");
    }
    if (contrast < MIN_CONTRAST) {
      throw new Error(
        `${source}: no digit found: the image is uniform apart from noise (no pixel stands ` +
        `out from the background ${_g3(background)} by ${MIN_CONTRAST} more than ` +
        `${NOISE_SIGMAS} times the noise of the border, ${_g3(noise)}); expected a digit ` +
        "that stands out from a plain background");
    }
    // 3. the ink's bounding box, leaving out rows and columns with only specks of ink
    const level = floor + INK_THRESHOLD * contrast;
    const rows = new Float64Array(height), cols = new Float64Array(width);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const v = gray[y * width + x];
        if (sign > 0 ? v > background + level : v < background - level) {
          rows[y]++;
          cols[x]++;
        }
      }
    }
    const span = (counts) => {
      let most = 0;
      for (const n of counts) most = Math.max(most, n);
      let a = -1, b = -1;
      for (let i = 0; i < counts.length; i++) {
        if (counts[i] > SPECKS * most) {
          if (a < 0) a = i;
          b = i;
        }
      }
      return [a, b];
    };
    const [top, bottom] = span(rows), [left, right] = span(cols);
    const h = bottom - top + 1, w = right - left + 1;
    // 2. the stretch, on the crop
    let digit = new Float64Array(h * w);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let v = gray[(top + y) * width + left + x];
        v = ((v - background) * sign - floor) / contrast;
        digit[y * w + x] = Math.min(Math.max(v, 0), 1);
      }
    }
    // 4. the longer side to MNIST_BOX pixels
    const longer = Math.max(h, w);
    const size = [
      Math.max(1, Math.floor((h * MNIST_BOX) / longer + 0.5)),
      Math.max(1, Math.floor((w * MNIST_BOX) / longer + 0.5)),
    ];
    if (size[0] !== h || size[1] !== w) {
      const resized = resize_lanczos(Float32Array.from(digit), h, w, size[0], size[1]);
      digit = new Float64Array(resized.length);
      for (let i = 0; i < resized.length; i++) digit[i] = Math.min(Math.max(resized[i], 0), 1);
    }
    // 5. the paste at the whole-pixel shift that puts the centre of mass nearest MNIST_CENTRE
    let mass = 0;
    const row_mass = new Float64Array(size[0]), col_mass = new Float64Array(size[1]);
    for (let y = 0; y < size[0]; y++) {
      for (let x = 0; x < size[1]; x++) {
        const v = digit[y * size[1] + x];
        mass += v;
        row_mass[y] += v;
        col_mass[x] += v;
      }
    }
    if (!(mass > 0)) {
      throw new Error(`${source}: no digit found: the image is uniform after resizing`);
    }
    const start = [row_mass, col_mass].map((masses, axis) => {
      let moment = 0;
      for (let i = 0; i < masses.length; i++) moment += masses[i] * i;
      const centre = moment / mass;
      return Math.min(Math.max(Math.floor(MNIST_CENTRE[axis] - centre + 0.5), 0), 28 - size[axis]);
    });
    const out = new Float64Array(784);
    for (let y = 0; y < size[0]; y++) {
      for (let x = 0; x < size[1]; x++) {
        out[(start[0] + y) * 28 + start[1] + x] = digit[y * size[1] + x];
      }
    }
    return out; // 6. already in [0, 1]
  }

  return {
    LAYERS, ACTIVATIONS, layer_names, activate, activation_slope, activation_secant,
    forward, forward_from_a1, sigmoid, softmax, gauss_legendre, insertion, occlusion,
    gradient_input, integrated_gradients, sigmoid_secant, softmax_secant, deeplift,
    shapley_sampling, residual, mnist_style, resize_lanczos, METHODS, make_params,
  };
})();
