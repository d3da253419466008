"use strict";
/* The arrays of the page's JSON block, read back: the inverse of pixel_influence.explorer.encode.
   An array is {dtype, shape, data: base64 of little-endian bytes, shuffle?: bytes grouped by
   significance, deflate?: zlib-compressed, scale?: one value per index of the first axis,
   meaning value = stored / 127 * scale}. */
var decode = (function () {
  const TYPES = {
    float64: Float64Array,
    float32: Float32Array,
    uint8: Uint8Array,
    uint16: Uint16Array,
    int8: Int8Array,
  };
  const QUANTUM = 127;
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
    throw new Error("this page reads little-endian numbers; this machine is big-endian");
  }

  function base64_bytes(text) {
    const s = atob(text);
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }

  async function inflate(bytes) {
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  }

  function unshuffle(bytes, size) {
    const n = bytes.length / size;
    const out = new Uint8Array(bytes.length);
    for (let b = 0; b < size; b++) {
      for (let i = 0; i < n; i++) out[i * size + b] = bytes[b * n + i];
    }
    return out;
  }

  function count(shape) {
    return shape.reduce((a, b) => a * b, 1);
  }

  /* The values of one encoded array as a typed array of its dtype (flat, C order), or as a
     Float32Array of the values for a quantized (scaled) one. */
  async function array(spec) {
    const Type = TYPES[spec.dtype];
    if (!Type) throw new Error(`unknown dtype ${spec.dtype} in the page's data`);
    let bytes = base64_bytes(spec.data);
    if (spec.deflate) bytes = await inflate(bytes);
    if (spec.shuffle) bytes = unshuffle(bytes, Type.BYTES_PER_ELEMENT);
    const n = count(spec.shape);
    if (bytes.length !== n * Type.BYTES_PER_ELEMENT) {
      throw new Error(`damaged data: ${bytes.length} bytes for a ${spec.dtype} array of shape [${spec.shape}]`);
    }
    const values = new Type(bytes.buffer, bytes.byteOffset, n);
    if (!spec.scale) return values;
    const out = new Float32Array(n);
    const block = n / spec.scale.length;
    for (let k = 0; k < spec.scale.length; k++) {
      const step = spec.scale[k] / QUANTUM;
      for (let i = k * block; i < (k + 1) * block; i++) out[i] = values[i] * step;
    }
    return out;
  }

  return { array, base64_bytes, inflate, unshuffle, QUANTUM };
})();
