"""Fuzzing the readers of outside data: IDX (raw and gzip), PNG samples, the weights pickle.

Every input either gives a well-formed result or an InputError; any other exception fails the
test naming the seed and iteration, so a failure can be replayed. Seeds and counts are fixed
and small enough for the whole file to run in a few seconds.
"""

import gzip
import io
import pickle
import pickletools
import random
import re
import struct
import time
import tracemalloc
import warnings
import zlib

import h5py
import numpy as np
import pytest
from conftest import idx_bytes, write_gz
from PIL import Image, PngImagePlugin

from pixel_influence import mnist, network, samples
from pixel_influence.errors import InputError

SEED = 20240611


def _outcome(label, call):
    """``call()``'s result, or None for an InputError; any other exception fails the test,
    and so does a warning (Pillow, numpy and pickletools warn about some damaged input)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = call()
        except InputError:
            result = None
        except Exception as e:  # noqa: BLE001 - the point of the test
            pytest.fail(f"{label}: {type(e).__name__} escaped: {e}", pytrace=False)
    if caught:
        pytest.fail(f"{label}: warning escaped: {caught[0].message!r}", pytrace=False)
    return result


def _flip(rng, data, count=None, positions=None):
    data = bytearray(data)
    if data:
        for _ in range(count or rng.randint(1, 4)):
            i = rng.choice(positions) if positions else rng.randrange(len(data))
            data[i] ^= rng.randint(1, 255)
    return bytes(data)


def _generic_mutation(rng, data):
    """Flipped bytes, a truncation or appended random bytes."""
    op = rng.randrange(3)
    if op == 0:
        return _flip(rng, data)
    if op == 1:
        return data[: rng.randrange(len(data) + 1)]
    return data + rng.randbytes(rng.randint(1, 64))


# ---------------------------------------------------------------- IDX


def _valid_idx(rng, kind):
    if kind == "images":
        n = rng.randint(0, 3)
        array = np.frombuffer(rng.randbytes(n * 784), np.uint8).reshape(n, 28, 28)
        return idx_bytes(array, mnist.IMAGE_MAGIC)
    return idx_bytes([rng.randint(0, 9) for _ in range(rng.randint(0, 30))], mnist.LABEL_MAGIC)


def _mutate_idx(rng, data, kind):
    op = rng.randrange(6)
    if op < 3:
        return _generic_mutation(rng, data)
    data = bytearray(data)
    if op == 3:  # magic
        magic = rng.choice(
            [0x801, 0x803, 0x802, 0x804, 0x0803_0000, 0x0801_0000, rng.getrandbits(32)]
        )
        data[:4] = struct.pack(">I", magic)
    elif op == 4:  # a dimension: count, rows or cols
        field = rng.randrange(3 if kind == "images" else 1)
        n = struct.unpack(">I", data[4 + 4 * field : 8 + 4 * field])[0]
        value = rng.choice([0, 1, 27, 28, 29, n - 1, n + 1, 2**31, 2**32 - 1, rng.getrandbits(32)])
        data[4 + 4 * field : 8 + 4 * field] = struct.pack(">I", value % 2**32)
    elif kind == "labels" and len(data) > 8:  # a label outside 0..9
        data[rng.randrange(8, len(data))] = rng.randint(10, 255)
    else:
        return _flip(rng, bytes(data), positions=list(range(min(len(data), 16))))
    return bytes(data)


def _check_idx(label, out, data, kind):
    """A returned array must be exactly what the header of ``data`` announces."""
    header = 16 if kind == "images" else 8
    magic = mnist.IMAGE_MAGIC if kind == "images" else mnist.LABEL_MAGIC
    assert struct.unpack(">I", data[:4])[0] == magic, label
    n = struct.unpack(">I", data[4:8])[0]
    shape = (n, 28, 28) if kind == "images" else (n,)
    assert out.dtype == np.uint8 and out.shape == shape, f"{label}: {out.dtype} {out.shape}"
    assert out.tobytes() == data[header:], label
    if kind == "labels":
        assert out.size == 0 or out.max() <= 9, label


@pytest.mark.parametrize("kind", ["images", "labels"])
def test_idx_parser_on_random_bytes(kind):
    rng = random.Random(SEED)
    magic = mnist.IMAGE_MAGIC if kind == "images" else mnist.LABEL_MAGIC
    for i in range(400):
        data = rng.randbytes(rng.randint(0, 2000))
        if i % 2:  # past the magic number, so the dimensions are random too
            data = struct.pack(">I", magic) + data
        label = f"seed {SEED} iteration {i} ({kind}, {len(data)} random bytes)"
        out = _outcome(label, lambda data=data: mnist.parse_idx(data, kind, source="fuzz.idx"))
        if out is not None:
            _check_idx(label, out, data, kind)


@pytest.mark.parametrize("kind", ["images", "labels"])
def test_idx_parser_on_mutated_files(kind):
    rng = random.Random(SEED)
    for i in range(600):
        data = _mutate_idx(rng, _valid_idx(rng, kind), kind)
        label = f"seed {SEED} iteration {i} ({kind}, data {data[:24].hex()}...)"
        out = _outcome(label, lambda data=data: mnist.parse_idx(data, kind, source="fuzz.idx"))
        if out is not None:
            _check_idx(label, out, data, kind)


@pytest.mark.parametrize("kind", ["images", "labels"])
def test_idx_reader_on_mutated_gzip_files(tmp_path, kind):
    rng = random.Random(SEED)
    path = tmp_path / "fuzz.gz"
    for i in range(150):
        data = _mutate_idx(rng, _valid_idx(rng, kind), kind)
        write_gz(path, data)
        label = f"seed {SEED} iteration {i} ({kind}, data {data[:24].hex()}...)"
        out = _outcome(label, lambda: mnist.read_idx(path, kind))
        if out is not None:
            _check_idx(label, out, data, kind)


def _mutate_gzip(rng, blob):
    op = rng.randrange(5)
    if op < 3:
        return _generic_mutation(rng, blob)
    blob = bytearray(blob)
    if op == 3:  # header: flags (FEXTRA, FNAME, ...), method, or the first bytes
        blob[rng.choice([2, 3, 3, 3, 0, 1])] = rng.randrange(256)
    else:  # trailer: CRC32 or ISIZE
        blob[-rng.randint(1, 8)] ^= rng.randint(1, 255)
    return bytes(blob)


@pytest.mark.parametrize("kind", ["images", "labels"])
def test_idx_reader_on_corrupted_gzip_streams(tmp_path, kind):
    rng = random.Random(SEED)
    path = tmp_path / "fuzz.gz"
    for i in range(200):
        blob = _mutate_gzip(rng, gzip.compress(_valid_idx(rng, kind), mtime=0))
        if i % 10 == 0:
            blob = rng.randbytes(rng.randint(0, 300))
        path.write_bytes(blob)
        label = f"seed {SEED} iteration {i} ({kind}, gzip {blob[:16].hex()}...)"
        out = _outcome(label, lambda: mnist.read_idx(path, kind))
        if out is not None:  # only a stream gzip itself accepts may give an array
            try:
                data = gzip.decompress(blob)
            except (OSError, EOFError, zlib.error) as e:
                pytest.fail(f"{label}: read_idx accepted a stream gzip refuses ({e})")
            _check_idx(label, out, data, kind)


def _fails_fast(call, message):
    """``call`` raises an InputError matching ``message`` quickly and allocating little."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(InputError, match=message):
            call()
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert elapsed < 1.0 and peak < 16 * 2**20, (elapsed, peak)


@pytest.mark.parametrize(
    "header, kind, message",
    [
        ((0x803, 2**31, 28, 28), "images", "header announces 2147483648 images"),
        ((0x803, 2**32 - 1, 28, 28), "images", "header announces 4294967295 images"),
        ((0x801, 2**32 - 1), "labels", "header announces 4294967295 labels"),
        ((0x803, 2**31, 2**31, 2**31), "images", "images are 2147483648x2147483648"),
    ],
)
def test_huge_declared_dimensions_fail_fast(tmp_path, header, kind, message):
    data = struct.pack(f">{len(header)}I", *header) + bytes(784)
    _fails_fast(lambda: mnist.parse_idx(data, kind, source="huge.idx"), "huge.idx: " + message)
    path = write_gz(tmp_path / "huge.gz", data)
    _fails_fast(lambda: mnist.read_idx(path, kind), "huge.gz: " + message)


def test_gzip_holding_far_more_than_its_header_is_not_read_whole(tmp_path):
    # a 60 kB stream of 32 MiB after a header announcing one image: refused after ~1 MiB
    data = idx_bytes(np.zeros((1, 28, 28)), mnist.IMAGE_MAGIC) + bytes(32 << 20)
    path = tmp_path / "bomb.gz"
    path.write_bytes(gzip.compress(data, compresslevel=1, mtime=0))
    _fails_fast(
        lambda: mnist.read_idx(path, "images"),
        r"bomb.gz: header announces 1 images \(800 bytes in all\) but the file holds more data",
    )


# ---------------------------------------------------------------- PNG


def _png(img, **options):
    buf = io.BytesIO()
    img.save(buf, "PNG", **options)
    return buf.getvalue()


def _png_bases():
    rng = np.random.default_rng(SEED)
    pixels = np.zeros((28, 28), dtype=np.uint8)
    pixels[4:24, 8:20] = rng.integers(0, 256, (20, 12), dtype=np.uint8)  # a "digit" on black
    gray = Image.fromarray(pixels)
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "a digit " * 20, zip=True)
    info.add_itxt("Title", "seven", zip=True)
    return [
        _png(gray),
        _png(gray, pnginfo=info),
        _png(gray, optimize=True),
        _png(Image.fromarray(255 - pixels).resize((300, 200))),  # dark on light, any size
        _png(gray.convert("RGB")),
        _png(gray.convert("RGBA")),
        _png(gray.convert("LA")),
        _png(gray.convert("P")),
        _png(gray.convert("1")),
        _png(Image.fromarray(pixels.astype(np.uint16) * 257 + 99)),  # I;16
        _png(gray.resize((31, 17))),
        _png(gray.resize((1, 1))),
    ]


def _chunks(data):
    """(offset, type, data length) of each PNG chunk, as far as the bytes allow."""
    out, pos = [], 8
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        out.append((pos, data[pos + 4 : pos + 8], length))
        pos += 12 + length
    return out


def _chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _mutate_png(rng, data):
    op = rng.randrange(7)
    if op < 3:
        return _generic_mutation(rng, data)
    chunks = _chunks(data)
    if not chunks or len(data) < 33:
        return _generic_mutation(rng, data)
    if op == 3:  # IHDR fields with a correct CRC: width, height, bit depth, colour type, ...
        fields = list(struct.unpack(">IIBBBBB", data[16:29]))
        field = rng.randrange(7)
        if field < 2:
            fields[field] = rng.choice([0, 1, 27, 29, 2**16, 2**31 - 1, rng.getrandbits(31)])
        else:
            fields[field] = rng.choice([0, 1, 2, 3, 4, 6, 8, 16, rng.randrange(256)])
        return data[:8] + _chunk(b"IHDR", struct.pack(">IIBBBBB", *fields)) + data[33:]
    pos, kind, length = rng.choice(chunks)
    body = data[pos + 8 : pos + 8 + length]
    if op == 4:  # one chunk's body changed, its CRC made right so the decoder goes on
        body = _generic_mutation(rng, body) if body else rng.randbytes(8)
        return data[:pos] + _chunk(kind, body) + data[pos + 12 + length :]
    if op == 5:  # one chunk removed or repeated
        whole = data[pos : pos + 12 + length]
        rest = data[pos + 12 + length :]
        return data[:pos] + (whole + whole if rng.random() < 0.5 else b"") + rest
    # a valid-CRC chunk of random contents inserted before a random chunk
    kind = rng.choice(
        [b"tEXt", b"zTXt", b"iTXt", b"iCCP", b"PLTE", b"tRNS", b"gAMA", b"sBIT", b"pHYs"]
        + [b"IDAT", b"IEND", b"acTL", b"fcTL", b"fdAT", b"eXIf", bytes(rng.randbytes(4))]
    )
    body = rng.randbytes(rng.randint(0, 40))
    if kind in (b"zTXt", b"iCCP") and rng.random() < 0.5:
        body = b"key\x00\x00" + zlib.compress(rng.randbytes(20))[: rng.randint(0, 30)]
    return data[:pos] + _chunk(kind, body) + data[pos:]


def _check_png(label, out):
    assert out.shape == (28, 28) and out.dtype == np.float64, f"{label}: {out.dtype} {out.shape}"
    assert np.all((out >= 0) & (out <= 1)), label


def test_png_loader_on_random_bytes(tmp_path):
    rng = random.Random(SEED)
    path = tmp_path / "fuzz.png"
    for i in range(200):
        data = rng.randbytes(rng.randint(0, 2000))
        if i % 2:  # past the signature
            data = b"\x89PNG\r\n\x1a\n" + data
        path.write_bytes(data)
        label = f"seed {SEED} iteration {i} ({len(data)} random bytes)"
        out = _outcome(label, lambda: samples.png_image(path))
        if out is not None:
            _check_png(label, out)


def test_png_loader_on_mutated_images(tmp_path):
    rng = random.Random(SEED)
    bases = _png_bases()
    path = tmp_path / "fuzz.png"
    for base in range(len(bases) - 1):  # all but the last (a blank 1x1 image) load unchanged
        path.write_bytes(bases[base])
        _check_png(f"base {base}", samples.png_image(path))
    for i in range(800):
        base = rng.randrange(len(bases))
        data = _mutate_png(rng, bases[base])
        if rng.random() < 0.3:
            data = _mutate_png(rng, data)
        path.write_bytes(data)
        label = f"seed {SEED} iteration {i} (base {base}, {len(data)} bytes)"
        out = _outcome(label, lambda: samples.png_image(path))
        if out is not None:
            _check_png(label, out)


def test_mnist_style_on_random_arrays():
    """Any 2-D array: an image in MNIST's form, or a clean error for one without a digit."""
    rng = np.random.default_rng(SEED)
    loaded = 0
    for i in range(300):
        shape = tuple(rng.integers(1, 80, 2))
        dtype = rng.choice(["uint8", "uint16", "float32", "float64", "bool"])
        page, ink = rng.random(2)
        image = np.full(shape, page)
        spots = rng.random(shape) < rng.choice([0.001, 0.02, 0.3, 1.0])
        image[spots] = ink + rng.normal(0, rng.choice([0, 0.05, 0.5]), int(spots.sum()))
        image = np.clip(image, 0, 1)
        if dtype == "bool":
            image = image > 0.5
        elif dtype != "float32" and dtype != "float64":
            image = np.round(image * np.iinfo(dtype).max)
        image = image.astype(dtype)
        label = f"seed {SEED} iteration {i} ({dtype} {shape})"
        out = _outcome(label, lambda image=image: samples.mnist_style(image))
        if out is not None:
            _check_png(label, out)
            loaded += 1
    assert 50 < loaded < 300  # both outcomes were tried


def _png_header_only(width, height):
    """A PNG whose IHDR announces width x height 8-bit gray, with one tiny IDAT."""
    ihdr = _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
    idat = _chunk(b"IDAT", zlib.compress(bytes(100)))
    return b"\x89PNG\r\n\x1a\n" + ihdr + idat + _chunk(b"IEND", b"")


@pytest.mark.parametrize(
    "width, height, message",
    [
        (100_000, 100_000, "image is far too large: at most 50 megapixels; scale it down"),
        (2**31 - 1, 2**31 - 1, "image is far too large: at most 50 megapixels"),
        # between Image.MAX_IMAGE_PIXELS and twice that: Pillow only warns
        (10_000, 10_000, "image is 10000x10000 pixels, too large: at most 50 megapixels"),
        # just over this package's limit
        (7_072, 7_071, "image is 7072x7071 pixels, too large: at most 50 megapixels"),
    ],
)
def test_huge_png_is_refused_without_decoding(tmp_path, monkeypatch, width, height, message):
    def no_decoding(self):
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(PngImagePlugin.PngImageFile, "load", no_decoding)
    path = tmp_path / "huge.png"
    path.write_bytes(_png_header_only(width, height))
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(InputError, match=message) as info:
            samples.png_image(path)
    assert time.perf_counter() - start < 1.0
    assert str(info.value).startswith(f"{path}: ")


def _with_chunk_before_iend(kind, body):
    data = _png(Image.new("L", (28, 28)))
    return data[:-12] + _chunk(kind, body) + data[-12:]


@pytest.mark.parametrize(
    "data, problem",
    [
        # found by the fuzzer: Pillow's ValueError from Image.open
        (
            b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBB", 28, 28, 8, 0, 0, 0)),
            "Truncated IHDR chunk",
        ),
        # found by the fuzzer: Pillow's SyntaxError from load() for a chunk after the pixels
        (
            _with_chunk_before_iend(b"iCCP", b"icc\x00\x6f" + zlib.compress(b"x" * 10)),
            "Unknown compression method 111 in iCCP chunk",
        ),
        # pixel data cut short
        (_png(Image.new("L", (28, 28)))[:-30], "image file is truncated"),
    ],
    ids=["truncated-ihdr", "bad-iccp", "truncated-idat"],
)
def test_damaged_png_is_an_input_error(tmp_path, data, problem):
    path = tmp_path / "damaged.png"
    path.write_bytes(data)
    with pytest.raises(InputError) as info:
        samples.png_image(path)
    assert str(info.value).startswith(f"{path}: not a readable image (")
    assert problem in str(info.value)


# ---------------------------------------------------------------- weights pickle


def _params(rng, small):
    shapes = {k: (2,) * len(s) for k, s in network.PARAM_SHAPES.items()} if small else None
    shapes = shapes or network.PARAM_SHAPES
    return {k: rng.standard_normal(s).astype(np.float32) for k, s in shapes.items()}


def _structure_positions(blob):
    """Byte offsets outside the large array payloads, where a flip changes the structure."""
    payload = []
    for op, arg, pos in pickletools.genops(blob):
        if isinstance(arg, (bytes, bytearray)) and len(arg) > 64:
            payload.append((pos, pos + len(arg) + 9))
    return [i for i in range(len(blob)) if not any(a <= i < b for a, b in payload)]


def _check_params(label, out):
    assert set(out) == set(network.PARAM_SHAPES), label
    for k, shape in network.PARAM_SHAPES.items():
        assert isinstance(out[k], np.ndarray) and out[k].shape == shape, label
        assert out[k].dtype in (np.float32, np.float64), label


def test_pickle_loader_on_random_bytes():
    rng = random.Random(SEED)
    for i in range(400):
        data = rng.randbytes(rng.randint(0, 2000))
        if i % 2:  # a protocol header, so the opcodes after it are read
            data = bytes([0x80, rng.randint(2, 5)]) + data
        label = f"seed {SEED} iteration {i} ({len(data)} random bytes)"
        out = _outcome(label, lambda data=data: network.load_pickle(data, source="fuzz.pkl"))
        if out is not None:
            _check_params(label, out)


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_pickle_loader_on_mutated_pickles(protocol):
    rng = random.Random(SEED + protocol)
    nrng = np.random.default_rng(SEED)
    valid = network.load_pickle(pickle.dumps(_params(nrng, small=False), protocol=protocol))
    _check_params(f"protocol {protocol} unchanged", valid)
    bases = [pickle.dumps(_params(nrng, small), protocol=protocol) for small in (False, True)]
    positions = [_structure_positions(b) for b in bases]
    for i in range(250):
        base = rng.randrange(2)
        data = bases[base]
        if rng.random() < 0.6:  # flip bytes of the structure, not of the float payloads
            data = _flip(rng, data, positions=positions[base])
        else:
            data = _generic_mutation(rng, data)
        label = f"seed {SEED + protocol} protocol {protocol} iteration {i} (base {base})"
        out = _outcome(label, lambda data=data: network.load_pickle(data, source="fuzz.pkl"))
        if out is not None:
            _check_params(label, out)


def _dtype_flags_offsets(blob):
    """Offsets of the last byte of each pickled dtype state: numpy's dtype flags."""
    ops = list(pickletools.genops(blob))
    return [
        ops[j - 1][2] + 1
        for j, (op, _, _) in enumerate(ops)
        if op.name == "TUPLE" and ops[j - 1][0].name == "BININT1" and ops[j - 2][0].name == "BININT"
    ]


@pytest.mark.parametrize("flags", [1, 3, 0x3F])
def test_pickle_dtype_flags_are_not_trusted(flags):
    # Found by the fuzzer: numpy believed a flipped flags byte, made a float32 array it took
    # for an array of Python objects and failed with RuntimeError / SystemError on it.
    blob = bytearray(pickle.dumps(_params(np.random.default_rng(0), small=False), protocol=3))
    offsets = _dtype_flags_offsets(bytes(blob))
    assert offsets  # one: the pickle memoizes the float32 dtype all arrays share
    for offset in offsets:
        blob[offset] = flags
    loaded = network.load_pickle(bytes(blob))
    _check_params("flags", loaded)
    assert all(not v.dtype.hasobject for v in loaded.values())


def test_pickle_huge_memo_index_is_refused_cheaply():
    # Found by the fuzzer: "store None at memo index 2**26" made the C unpickler allocate and
    # clear a 1 GiB memo table for an 11-byte pickle.
    blob = b"\x80\x02N" + b"r" + struct.pack("<I", 2**26) + b"."
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(InputError, match="fuzz.pkl: memo index 67108864 is larger"):
            network.load_pickle(blob, source="fuzz.pkl")
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - start < 0.5


# ---------------------------------------------------------------- HDF5 result files


def _result_files(folder, params):
    """One file of each kind the workflow writes and reads back, made by its own writer,
    with the reader that a job would call on it."""
    from pixel_influence import faithfulness, h5io, methods, sweep
    from pixel_influence.download import FILES

    zero = np.zeros((28, 28))
    x = np.zeros((28, 28))
    x[5:23, 12:16] = np.linspace(0.1, 1.0, 72).reshape(18, 4)
    layers, names = ["z2", "z3"], ["insertion", "deeplift"]
    result = methods.compute(params, x, zero, layers, names)
    curves = faithfulness.evaluate(
        params, x, zero, result["maps"], result["value"], result["baseline"], layers
    )
    attrs = {"sample": "s", "source": "{}", "title": "t", "label": -1}
    attrs |= {"baseline": "all-zero image", "weights_sha256": "0" * 64, "config": "{}"}
    rng = np.random.default_rng(SEED)
    images = (rng.random((30, 28, 28)) < 0.15).astype(np.uint8) * 200
    labels = np.arange(30) % 10
    sums = sweep.shard_sums(params, images, labels, zero, ["z3"], names)
    shard_attrs = {"split": "test", "images": 30, "first": 0, "stop": 30, "shard": 0}
    shard_attrs |= {"shards": 1, "layers": ["z3"], "methods": names, "config": "{}"}
    shard_attrs |= {"weights_sha256": "0" * 64, "baseline": "all-zero image"}
    classes_attrs = {k: shard_attrs[k] for k in ("split", "images", "config", "baseline")}
    classes_attrs["weights_sha256"] = "0" * 64
    empty = np.zeros((1, 28, 28), np.uint8)
    mnist = {
        split: (np.repeat(empty, n, 0), np.zeros(n, np.uint8))
        for split, n in samples.SPLIT_SIZES.items()
    }
    mnist["test"][0][3, 10:20, 14] = 255
    files = {
        "weights": (
            lambda p: h5io.write_weights(p, params, FILES["dlfs/sample_weight.pkl"][1]),
            lambda p: h5io.read_weights(p),
        ),
        "mnist": (
            lambda p: h5io.write_mnist(p, mnist, dict(s.split() for s in h5io.mnist_sources())),
            lambda p: h5io.read_mnist_image(p, "test", 3),
        ),
        "baseline": (
            lambda p: h5io.write_baseline(p, zero, result["baseline"], "all-zero image", "0" * 64),
            lambda p: h5io.read_baseline(p, "0" * 64),
        ),
        "influence": (
            lambda p: h5io.write_influence(
                p, result, x, zero, attrs, faithfulness=curves, min_change=1e-3, seed=0
            ),
            lambda p: (
                h5io.read_influence(p, names, layers, {"sample": "s"}),
                h5io.read_faithfulness(p, {"sample": "s"}),
            ),
        ),
        "shared_scale": (
            lambda p: h5io.write_shared_scale(p, {("deeplift", "z3"): 0.5}, ["a.h5"]),
            lambda p: h5io.read_shared_scale(p, ["deeplift"], ["z3"], ["a.h5"]),
        ),
        "shard": (
            lambda p: h5io.write_sweep_shard(p, sums, shard_attrs),
            lambda p: _merged(p),
        ),
        "classes": (
            lambda p: h5io.write_classes(p, sums, ["z3"], names, classes_attrs, "float64"),
            lambda p: h5io.read_class(p, 3, names, ["z3"], shared_scale=True),
        ),
    }
    out = {}
    for kind, (write, read) in files.items():
        path = folder / f"{kind}.h5"
        write(path)
        out[kind] = (path, read)
    return out


def _merged(path):
    from pixel_influence import h5io

    with h5io.merged_sweep_shards([path]) as merged:
        return merged.count, merged.confusion, {k: merged.sum[k].value() for k in merged.sum}


def _same(a, b):
    """Equal results: nested dicts, tuples and lists of arrays, numbers and text."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        nan = a.dtype.kind in "fc" and b.dtype.kind in "fc"
        return a.shape == b.shape and np.array_equal(a, b, equal_nan=nan)
    return a == b or (a != a and b != b)


def _mutate_h5(rng, data):
    """Flipped bytes anywhere (the user block included), a truncation, appended bytes, a
    zeroed run or a run copied from elsewhere in the file."""
    op = rng.randrange(5)
    if op < 3:
        return _generic_mutation(rng, data)
    data = bytearray(data)
    start = rng.randrange(len(data))
    length = rng.randint(1, 4096)
    if op == 3:
        data[start : start + length] = bytes(len(data[start : start + length]))
    else:
        source = rng.randrange(len(data))
        piece = data[source : source + length]
        data[start : start + len(piece)] = piece
    return bytes(data)


def test_hdf5_readers_on_damaged_result_files(tmp_path, random_params):
    """Every reader of every kind of result file, on damaged copies: either exactly what the
    intact file gives (the damage missed every byte that matters, e.g. padding in the user
    block) or an InputError that names the file; never another exception, never other
    numbers."""
    from pixel_influence.inspection import summary_lines

    rng = random.Random(SEED)
    for kind, (path, read) in _result_files(tmp_path, random_params).items():
        intact = read(path)
        original = path.read_bytes()
        damaged_path = tmp_path / f"damaged-{kind}.h5"
        refused = 0
        for i in range(40):
            data = _mutate_h5(rng, original)
            damaged_path.write_bytes(data)
            label = f"seed {SEED} {kind} iteration {i}"
            out = _outcome(label, lambda: read(damaged_path))
            if out is None:
                refused += 1
                with pytest.raises(InputError, match=re.escape(str(damaged_path))):
                    read(damaged_path)
            else:
                assert _same(out, intact), f"{label}: a damaged file gave other numbers"
            lines = _outcome(label + " (inspect)", lambda: summary_lines(damaged_path))
            assert lines is None or out is not None, label
        assert refused >= 30, (kind, refused)  # nearly every mutation reaches the data


def _odd_value(rng):
    """A value of a type or shape a reader does not expect."""
    return rng.choice(
        [
            np.arange(7.0),
            np.zeros((2, 3), np.int8),
            np.array([b"text", b"more"]),
            "text",
            -1,
            np.float64("nan"),
            np.zeros((0,)),
            np.ones((10, 28, 28), np.float32),
            np.array(["a", "b"], dtype=h5py.string_dtype()),
        ]
    )


def _edit_h5(rng, path):
    """One edit that keeps the file well-formed HDF5 but not what the workflow wrote: an
    object or attribute deleted, replaced by another type or shape, or by a group."""
    with h5py.File(path, "a") as f:
        names = []
        f.visititems(lambda name, obj: names.append(name))
        name = rng.choice(names)
        obj = f[name]
        op = rng.randrange(4)
        if op == 0:
            del f[name]
        elif op == 1 and obj.attrs:
            key = rng.choice(list(obj.attrs))
            obj.attrs[key] = _odd_value(rng)
        elif op == 2 and obj.attrs:
            del obj.attrs[rng.choice(list(obj.attrs))]
        else:
            del f[name]
            if rng.random() < 0.5:
                f.create_group(name)
            else:
                f.create_dataset(name, data=_odd_value(rng))
        return f"{['delete', 'attribute', 'no attribute', 'replace'][op]} {name}"


def test_hdf5_readers_on_well_formed_but_wrong_files(tmp_path, random_params):
    """A file that passes the seal but does not hold what the workflow writes (another
    version's writer, a hand that resealed an edited file): every reader and inspect end in
    a result or one InputError that names the file, never another exception."""
    from pixel_influence import hdf5
    from pixel_influence.inspection import summary_lines

    rng = random.Random(SEED)
    outcomes = {"result": 0, "refused": 0}
    for kind, (path, read) in _result_files(tmp_path, random_params).items():
        original = path.read_bytes()
        edited = tmp_path / f"edited-{kind}.h5"
        for i in range(20):
            edited.write_bytes(original)
            what = _edit_h5(rng, edited)
            hdf5.seal(edited)
            label = f"seed {SEED} {kind} iteration {i} ({what})"
            for call in (lambda: read(edited), lambda: summary_lines(edited)):
                try:
                    out = _outcome(label, call)
                except pytest.fail.Exception:
                    raise
                outcomes["result" if out is not None else "refused"] += 1
                if out is None:
                    with pytest.raises(InputError, match=re.escape(str(edited))):
                        call()
    assert outcomes["refused"] > 40 and outcomes["result"] > 40, outcomes
