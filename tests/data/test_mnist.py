"""MNIST: the real files from the shared directory, small IDX files written here, and a mocked download."""
import gzip
import hashlib
import io
import os
import time
import urllib.error
import urllib.request

import numpy
import pytest

import minigrad
from minigrad.data import MNIST, mnist
from minigrad.utils.data import DataLoader


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """Every test gets an empty download cache, so nothing outside tmp_path is read or written."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("MINIGRAD_DATA", str(cache))
    return cache


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a test tried to use the network")
    monkeypatch.setattr(urllib.request, "urlopen", refuse)


def idx_bytes(array, magic):
    header = magic.to_bytes(4, "big") + b"".join(int(size).to_bytes(4, "big") for size in array.shape)
    return header + array.astype(numpy.uint8).tobytes()


def small_mnist(count=6, seed=0):
    rng = numpy.random.default_rng(seed)
    images = rng.integers(0, 256, (count, 28, 28), dtype=numpy.uint8)
    labels = rng.integers(0, 10, count, dtype=numpy.uint8)
    return images, labels


def write_files(directory, train=True, compress=False, count=6, seed=0):
    """Write an images/labels IDX pair into ``directory``; return the arrays."""
    directory.mkdir(parents=True, exist_ok=True)
    images, labels = small_mnist(count, seed)
    prefix = "train" if train else "t10k"
    for name, content in ((f"{prefix}-images-idx3-ubyte", idx_bytes(images, 0x803)),
                          (f"{prefix}-labels-idx1-ubyte", idx_bytes(labels, 0x801))):
        if compress:
            (directory / f"{name}.gz").write_bytes(gzip.compress(content))
        else:
            (directory / name).write_bytes(content)
    return images, labels


# ---- the real files ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def train_set():
    """The 60,000 training images, loaded once for this file, with the time the load took."""
    from conftest import MNIST_DIR as directory
    if not any((directory / name).exists() for name in ("train-images-idx3-ubyte", "train-images-idx3-ubyte.gz")):
        pytest.skip(f"MNIST files not found in {directory} (set MINIGRAD_MNIST_DIR)")
    start = time.perf_counter()
    dataset = MNIST(directory, train=True)
    return dataset, time.perf_counter() - start


def test_training_set_is_read_exactly(train_set):
    dataset, _ = train_set
    assert len(dataset) == 60000
    assert dataset.data.shape == (60000, 28, 28) and dataset.data.dtype == minigrad.uint8
    assert dataset.targets.shape == (60000,) and dataset.targets.dtype == minigrad.int64
    assert dataset.targets[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    # rebuilding the IDX bytes from what we read gives the published SHA-256
    rebuilt = idx_bytes(dataset.data.numpy(), 0x803)
    assert hashlib.sha256(rebuilt).hexdigest() == mnist.SHA256["train-images-idx3-ubyte"]
    rebuilt = idx_bytes(dataset.targets.numpy(), 0x801)
    assert hashlib.sha256(rebuilt).hexdigest() == mnist.SHA256["train-labels-idx1-ubyte"]
    assert numpy.bincount(dataset.targets.numpy()).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918,
                                                                 6265, 5851, 5949]


def test_test_set_and_the_torchvision_layout(mnist_dir, tmp_path):
    dataset = MNIST(mnist_dir, train=False)
    assert len(dataset) == 10000 and dataset.targets[:5].tolist() == [7, 2, 1, 0, 4]
    raw = tmp_path / "root" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        os.symlink(mnist_dir / name, raw / name)
    same = MNIST(tmp_path / "root", train=False)
    assert numpy.array_equal(same.data.numpy(), dataset.data.numpy())


def test_loading_the_training_set_is_fast(train_set):
    _, seconds = train_set
    assert seconds < 10.0   # about 0.3 s on an idle core; generous for a loaded CI machine


def test_items_are_unit_float_images_and_int_targets(mnist_dir):
    dataset = MNIST(mnist_dir, train=False)
    image, target = dataset[0]
    assert image.shape == (1, 28, 28) and image.dtype == minigrad.float32
    assert type(target) is int and target == 7
    numpy.testing.assert_array_equal(image.numpy()[0], dataset.data.numpy()[0].astype(numpy.float32) / 255)
    assert 0.0 <= image.numpy().min() and image.numpy().max() == 1.0


def test_loader_batches_equal_sample_by_sample_collation(mnist_dir):
    dataset = MNIST(mnist_dir, train=False)
    fast = DataLoader(dataset, batch_size=64, shuffle=True, generator=numpy.random.default_rng(0))
    slow = DataLoader(dataset, batch_size=64, shuffle=True, generator=numpy.random.default_rng(0),
                      collate_fn=lambda batch: minigrad.utils.data.default_collate(batch))
    assert len(fast) == 157
    for (x_fast, y_fast), (x_slow, y_slow), _ in zip(fast, slow, range(3)):
        assert x_fast.shape == (64, 1, 28, 28) and x_fast.dtype == minigrad.float32
        assert y_fast.dtype == minigrad.int64
        numpy.testing.assert_array_equal(x_fast.numpy(), x_slow.numpy())
        numpy.testing.assert_array_equal(y_fast.numpy(), y_slow.numpy())


# ---- small files written here ---------------------------------------------------------------------

@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("train", [True, False])
def test_small_files_plain_or_gzipped(tmp_path, compress, train):
    images, labels = write_files(tmp_path / "root", train=train, compress=compress)
    dataset = MNIST(tmp_path / "root", train=train)
    numpy.testing.assert_array_equal(dataset.data.numpy(), images)
    numpy.testing.assert_array_equal(dataset.targets.numpy(), labels)
    assert len(dataset) == 6 and dataset.train is train


def test_transforms_receive_the_uint8_image_and_the_int_target(tmp_path):
    images, labels = write_files(tmp_path)
    seen = []

    def transform(image):
        seen.append((image.dtype, tuple(image.shape)))
        return image.float() * 2

    dataset = MNIST(tmp_path, transform=transform, target_transform=lambda target: target + 100)
    image, target = dataset[2]
    assert seen == [(minigrad.uint8, (28, 28))]
    assert target == int(labels[2]) + 100
    numpy.testing.assert_array_equal(image.numpy(), images[2].astype(numpy.float32) * 2)
    batch_images, batch_targets = next(iter(DataLoader(dataset, batch_size=4)))
    assert batch_images.shape == (4, 28, 28) and batch_targets.tolist() == (labels[:4] + 100).tolist()


def test_repr_and_classes_as_torchvision(tmp_path):
    write_files(tmp_path, train=False)
    dataset = MNIST(tmp_path, train=False)
    assert repr(dataset) == (f"Dataset MNIST\n    Number of datapoints: 6\n    Root location: {tmp_path}\n"
                             "    Split: Test")
    assert dataset.classes[3] == "3 - three" and dataset.class_to_idx["9 - nine"] == 9


def test_wrong_magic_number_names_the_file(tmp_path):
    write_files(tmp_path)
    path = tmp_path / "train-labels-idx1-ubyte"
    path.write_bytes(idx_bytes(numpy.zeros(6), 0x803))
    with pytest.raises(RuntimeError, match=r"train-labels-idx1-ubyte: wrong magic number 0x00000803, "
                                           r"expected 0x00000801"):
        MNIST(tmp_path)


@pytest.mark.parametrize("cut", [2, 10, 100, -1])
def test_truncated_file_names_the_file(tmp_path, cut):
    write_files(tmp_path)
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:cut])
    with pytest.raises(RuntimeError, match="train-images-idx3-ubyte: truncated IDX file"):
        MNIST(tmp_path)


def test_extra_bytes_and_truncated_gzip_name_the_file(tmp_path):
    write_files(tmp_path, compress=True)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(RuntimeError, match=r"train-images-idx3-ubyte.gz: cannot decompress"):
        MNIST(tmp_path)
    path.write_bytes(gzip.compress(gzip.decompress(data) + b"\0"))
    with pytest.raises(RuntimeError, match=r"train-images-idx3-ubyte.gz: too long IDX file"):
        MNIST(tmp_path)


def test_images_and_labels_of_different_counts_are_refused(tmp_path):
    write_files(tmp_path, count=6)
    images, _ = small_mnist(5)
    (tmp_path / "train-images-idx3-ubyte").write_bytes(idx_bytes(images, 0x803))
    with pytest.raises(RuntimeError, match=r"disagree: images \[5, 28, 28\], labels \[6\]"):
        MNIST(tmp_path)


def test_missing_files_say_where_to_put_them(tmp_path, private_cache):
    with pytest.raises(RuntimeError) as error:
        MNIST(tmp_path / "nowhere")
    message = str(error.value)
    assert "train-images-idx3-ubyte" in message and "download=True" in message
    assert str(tmp_path / "nowhere") in message and str(private_cache / "MNIST" / "raw") in message


# ---- download, with urllib mocked -------------------------------------------------------------------

class FakeResponse(io.BytesIO):
    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def serve(monkeypatch, files, fail_mirrors=()):
    """Answer urlopen from ``files`` ({file name: bytes}); mirrors in ``fail_mirrors`` are unreachable."""
    requested = []

    def urlopen(url, timeout=None):
        requested.append(url)
        if any(url.startswith(mirror) for mirror in fail_mirrors):
            raise urllib.error.URLError("Name or service not known")
        return FakeResponse(files[url.rsplit("/", 1)[1]])
    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    return requested


def small_archives(monkeypatch):
    """gz bytes of a small MNIST for all four names, and the checksums made to match them."""
    files = {}
    for prefix, seed in (("train", 0), ("t10k", 1)):
        images, labels = small_mnist(4, seed)
        for name, content in ((f"{prefix}-images-idx3-ubyte", idx_bytes(images, 0x803)),
                              (f"{prefix}-labels-idx1-ubyte", idx_bytes(labels, 0x801))):
            files[f"{name}.gz"] = gzip.compress(content)
            monkeypatch.setitem(mnist.SHA256, name, hashlib.sha256(content).hexdigest())
    return files


def test_download_fetches_all_four_files_into_the_cache(tmp_path, monkeypatch, private_cache):
    requested = serve(monkeypatch, small_archives(monkeypatch))
    dataset = MNIST(tmp_path / "empty", download=True)
    assert len(dataset) == 4
    assert sorted(os.listdir(private_cache / "MNIST" / "raw")) == sorted(f"{name}.gz" for name in mnist.SHA256)
    assert all(url.startswith(mnist.MIRRORS[0]) for url in requested) and len(requested) == 4
    requested.clear()
    MNIST(tmp_path / "empty", train=False, download=True)     # found in the cache: no request
    assert requested == []


def test_download_with_the_real_checksums(mnist_dir, tmp_path, monkeypatch, private_cache):
    files = {path.name: path.read_bytes() for path in mnist_dir.glob("*.gz")}
    serve(monkeypatch, files)
    dataset = MNIST(tmp_path / "empty", train=False, download=True)
    assert len(dataset) == 10000 and dataset.targets[:3].tolist() == [7, 2, 1]


def test_download_falls_back_to_the_next_mirror(tmp_path, monkeypatch):
    requested = serve(monkeypatch, small_archives(monkeypatch), fail_mirrors=mnist.MIRRORS[:1])
    assert len(MNIST(tmp_path, download=True)) == 4
    assert sum(url.startswith(mnist.MIRRORS[1]) for url in requested) == 4


def test_checksum_mismatch_names_the_file_and_keeps_nothing(tmp_path, monkeypatch, private_cache):
    files = small_archives(monkeypatch)
    files["train-labels-idx1-ubyte.gz"] = gzip.compress(b"not the labels")
    serve(monkeypatch, files)
    with pytest.raises(RuntimeError, match=r"checksum mismatch for train-labels-idx1-ubyte: SHA-256 of the "
                                           r"decompressed bytes is [0-9a-f]{64}, expected [0-9a-f]{64}"):
        MNIST(tmp_path, download=True)
    assert "train-labels-idx1-ubyte.gz" not in os.listdir(private_cache / "MNIST" / "raw")


def test_no_network_says_where_to_put_the_files(tmp_path, monkeypatch, private_cache):
    serve(monkeypatch, {}, fail_mirrors=mnist.MIRRORS)
    with pytest.raises(RuntimeError) as error:
        MNIST(tmp_path, download=True)
    message = str(error.value)
    assert "could not download MNIST file train-images-idx3-ubyte" in message
    assert "Name or service not known" in message
    assert "put the four MNIST files" in message and str(private_cache / "MNIST" / "raw") in message


def test_torch_mnist_tutorial_runs_with_only_the_import_changed(mnist_dir, tmp_path):
    """Dataset, DataLoader, MLP, CrossEntropyLoss, Adam, StepLR, checkpoint save and load."""
    import minigrad as torch
    from minigrad import nn
    from minigrad.utils.data import DataLoader, Subset

    torch.manual_seed(0)
    train_set = Subset(MNIST(mnist_dir, train=True), range(3000))
    test_set = Subset(MNIST(mnist_dir, train=False), range(1000))
    train_loader = DataLoader(train_set, batch_size=64, shuffle=True)
    test_loader = DataLoader(test_set, batch_size=500)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    loss_fn = nn.CrossEntropyLoss()

    def evaluate(net):
        net.eval()
        correct = 0
        with torch.no_grad():
            for images, labels in test_loader:
                correct += (net(images).argmax(dim=1) == labels).sum().item()
        net.train()
        return correct / len(test_set)

    for epoch in range(2):
        for images, labels in train_loader:
            optimizer.zero_grad()
            loss = loss_fn(model(images), labels)
            loss.backward()
            optimizer.step()
        scheduler.step()
    accuracy = evaluate(model)
    assert accuracy > 0.8

    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(), "epoch": 2}, tmp_path / "mnist.pt")
    checkpoint = torch.load(tmp_path / "mnist.pt")
    restored = nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))
    restored.load_state_dict(checkpoint["model"])
    restored_optimizer = torch.optim.Adam(restored.parameters(), lr=2e-3)
    restored_optimizer.load_state_dict(checkpoint["optimizer"])
    assert evaluate(restored) == accuracy
    assert restored_optimizer.param_groups[0]["lr"] == optimizer.param_groups[0]["lr"] == 5e-4
