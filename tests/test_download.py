import hashlib
import http.server
import threading
import time
from pathlib import Path

import pytest

from pixel_influence.download import FILES, DownloadError, fetch, sources_for

PAYLOAD = b"the right bytes" * 100
SHA = hashlib.sha256(PAYLOAD).hexdigest()


class _Handler(http.server.BaseHTTPRequestHandler):
    routes = {}

    def do_GET(self):
        kind = self.routes.get(self.path, "404")
        if kind == "stall":
            time.sleep(3)
            return
        if kind == "drip":  # headers at once, then a byte every 0.1 s: never a read timeout
            self.send_response(200)
            self.send_header("Content-Length", str(len(PAYLOAD)))
            self.end_headers()
            try:
                for byte in PAYLOAD:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(0.1)
            except OSError:
                pass  # the client gave up
            return
        if kind == "404":
            self.send_error(404)
            return
        body = PAYLOAD if kind == "good" else b"X" + PAYLOAD[1:]
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_plain_path_source_is_copied_and_verified(tmp_path):
    src = tmp_path / "mirror" / "f.bin"
    src.parent.mkdir()
    src.write_bytes(PAYLOAD)
    dest = tmp_path / "out" / "f.bin"
    assert fetch([str(src)], dest, len(PAYLOAD), SHA) == str(src)
    assert dest.read_bytes() == PAYLOAD
    assert [p.name for p in dest.parent.iterdir()] == ["f.bin"]  # no temporary left


def test_corrupted_file_fails_clearly_and_leaves_nothing(tmp_path):
    src = tmp_path / "f.bin"
    src.write_bytes(b"X" + PAYLOAD[1:])
    dest = tmp_path / "out" / "f.bin"
    with pytest.raises(DownloadError, match=f"sha256 .* differs from the expected {SHA}"):
        fetch([str(src)], dest, len(PAYLOAD), SHA, retries=0)
    assert not dest.exists() and list(dest.parent.iterdir()) == []


def test_wrong_size_fails_clearly(tmp_path):
    src = tmp_path / "f.bin"
    src.write_bytes(PAYLOAD + b"extra")
    with pytest.raises(DownloadError, match=f"more than the expected {len(PAYLOAD)} bytes"):
        fetch([str(src)], tmp_path / "o", len(PAYLOAD), SHA, retries=0)
    src.write_bytes(PAYLOAD[:-1])
    with pytest.raises(DownloadError, match=f"got {len(PAYLOAD) - 1} bytes"):
        fetch([str(src)], tmp_path / "o", len(PAYLOAD), SHA, retries=0)


def test_mirrors_fall_back_in_order(server, tmp_path, caplog):
    _Handler.routes = {"/a/f": "404", "/b/f": "bad", "/c/f": "good"}
    sources = [f"{server}/a/f", f"{server}/b/f", f"{server}/c/f"]
    dest = tmp_path / "f"
    with caplog.at_level("INFO"):
        used = fetch(sources, dest, len(PAYLOAD), SHA, retries=1, wait=0)
    assert used == sources[2] and dest.read_bytes() == PAYLOAD
    assert "sha256" in caplog.text and "404" in caplog.text


def test_all_mirrors_failing_names_each_and_explains_local_mirror(server, tmp_path):
    _Handler.routes = {"/a/f": "404", "/b/f": "bad", "/s/f": "stall"}
    sources = [f"{server}/a/f", f"{server}/b/f", f"{server}/s/f"]
    start = time.monotonic()
    with pytest.raises(DownloadError) as info:
        fetch(sources, tmp_path / "f", len(PAYLOAD), SHA, timeout=0.5, retries=1, wait=0)
    assert time.monotonic() - start < 10
    message = str(info.value)
    for source in sources:
        assert source in message
    assert "attempt 2" in message  # network errors are retried, bounded
    assert "timed out" in message
    assert "local_mirror=DIR" in message
    assert not (tmp_path / "f").exists()


def test_sources_for_local_mirror_and_mirrors():
    mirrors = {"mnist": ["https://a/mnist/", "https://b/x"], "dlfs": ["https://c/ch03/"]}
    assert sources_for("mnist/t10k-labels-idx1-ubyte.gz", mirrors) == [
        "https://a/mnist/t10k-labels-idx1-ubyte.gz",
        "https://b/x/t10k-labels-idx1-ubyte.gz",
    ]
    assert sources_for("dlfs/sample_weight.pkl", mirrors, "/data") == [
        "/data/dlfs/sample_weight.pkl"
    ]


def test_registry_matches_the_shared_checksums():
    from real_data import SHARED as SHARED_DATA

    if not (SHARED_DATA / "SHA256SUMS").is_file():
        pytest.skip(f"no {SHARED_DATA}/SHA256SUMS to compare with")
    listed = dict(
        reversed(line.split()) for line in (SHARED_DATA / "SHA256SUMS").read_text().splitlines()
    )
    # the shared data holds MNIST and the weights; the other datasets' files are listed
    # with the checksums their authors publish (datasets.KNOWN)
    shared = {
        name: sha for name, (_, sha) in FILES.items() if name.split("/")[0] in ("mnist", "dlfs")
    }
    assert shared == listed
    for name in shared:
        assert (SHARED_DATA / name).stat().st_size == FILES[name][0]
    others = sorted(set(FILES) - set(shared))
    assert [name.split("/")[0] for name in others] == ["fashion-mnist"] * 4 + ["kmnist"] * 4


def test_missing_local_file_is_not_retried(tmp_path):
    start = time.monotonic()
    with pytest.raises(DownloadError, match="no such file .*absent.bin") as info:
        fetch([str(tmp_path / "absent.bin")], tmp_path / "o", 1, SHA, retries=5, wait=1)
    assert time.monotonic() - start < 1
    assert "attempt 2" not in str(info.value)


def test_a_dripping_server_is_abandoned_and_the_next_mirror_used(server, tmp_path, caplog):
    """Bytes arrive (no read ever times out) but far too slowly: give up after the timeout."""
    _Handler.routes = {"/d/f": "drip", "/g/f": "good"}
    sources = [f"{server}/d/f", f"{server}/g/f"]
    start = time.monotonic()
    with caplog.at_level("INFO"):
        used = fetch(sources, tmp_path / "f", len(PAYLOAD), SHA, timeout=0.5, retries=0, wait=0)
    assert used == sources[1] and (tmp_path / "f").read_bytes() == PAYLOAD
    assert time.monotonic() - start < 5
    assert "too slow" in caplog.text and "bytes/s after the 0.5 s timeout" in caplog.text


def test_temporaries_of_a_killed_writer_are_removed(tmp_path):
    from pixel_influence.files import atomic_write

    stale = tmp_path / ".f.abc123.tmp"
    stale.write_bytes(b"half")
    other = tmp_path / ".g.abc123.tmp"  # another output's temporary is left alone
    other.write_bytes(b"half")
    with atomic_write(tmp_path / "f") as tmp:
        Path(tmp).write_bytes(b"whole")
    assert not stale.exists() and other.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".g.abc123.tmp", "f"]


def test_a_folder_is_listed_once_for_all_the_files_written_into_it(tmp_path, monkeypatch):
    """A batch job writes thousands of pictures into one folder: listing it for each would
    cost milliseconds a picture. Stale temporaries found at the first listing still go."""
    import os

    from pixel_influence.files import atomic_write

    (tmp_path / ".b.dead.tmp").write_bytes(b"half")
    listed = []
    real = os.scandir
    monkeypatch.setattr(os, "scandir", lambda path: listed.append(path) or real(path))
    for name in "abc":
        with atomic_write(tmp_path / name) as tmp:
            Path(tmp).write_bytes(name.encode())
    assert listed == [str(tmp_path)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b", "c"]
