"""Datasets, samplers, collation and the DataLoader against torch.utils.data."""
import collections
import warnings

import numpy
import pytest
import torch
import torch.utils.data as torch_data

import minigrad
from minigrad.utils import data

Point = collections.namedtuple("Point", ["x", "y"])


def make_tensors(count=10):
    rng = numpy.random.default_rng(0)
    return rng.standard_normal((count, 3)).astype("float32"), rng.integers(0, 5, count)


def assert_same_batch(mine, reference):
    """Equal structure, types, dtypes and values."""
    if isinstance(reference, torch.Tensor):
        assert isinstance(mine, minigrad.Tensor), f"{type(mine)} is not a tensor"
        assert mine.dtype.name == str(reference.dtype)[6:]
        assert tuple(mine.shape) == tuple(reference.shape)
        numpy.testing.assert_array_equal(mine.numpy(), reference.numpy())
    elif isinstance(reference, dict):
        assert type(mine) is type(reference) and list(mine) == list(reference)
        for key in reference:
            assert_same_batch(mine[key], reference[key])
    elif isinstance(reference, (list, tuple)):
        assert type(mine) is type(reference) and len(mine) == len(reference)
        for a, b in zip(mine, reference):
            assert_same_batch(a, b)
    else:
        assert mine == reference and type(mine) is type(reference)


# ---- datasets ---------------------------------------------------------------------------

def test_tensor_dataset_indexes_every_tensor():
    inputs, targets = make_tensors()
    dataset = data.TensorDataset(minigrad.tensor(inputs), minigrad.tensor(targets))
    assert len(dataset) == 10
    x, y = dataset[3]
    assert x.tolist() == pytest.approx(inputs[3].tolist()) and y.item() == targets[3]
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        data.TensorDataset(minigrad.zeros(3), minigrad.zeros(4))


def test_subset_concat_and_plus():
    first = data.TensorDataset(minigrad.arange(5))
    second = data.TensorDataset(minigrad.arange(5, 8))
    joined = first + second
    assert isinstance(joined, data.ConcatDataset) and len(joined) == 8
    assert [joined[i][0].item() for i in range(8)] == list(range(8))
    assert joined[-1][0].item() == 7
    with pytest.raises(ValueError, match="absolute value of index should not exceed dataset length"):
        joined[-9]
    subset = data.Subset(joined, [6, 0, 3])
    assert len(subset) == 3 and [subset[i][0].item() for i in range(3)] == [6, 0, 3]
    assert [item[0].item() for item in subset.__getitems__([2, 0])] == [3, 6]


@pytest.mark.parametrize("lengths", [[3, 7], [0.3, 0.7], [0.5, 0.25, 0.25], [0.33, 0.33, 0.34], [1, 1, 8]])
def test_random_split_lengths_match_torch_and_cover_the_dataset(lengths):
    dataset = data.TensorDataset(minigrad.arange(10))
    parts = data.random_split(dataset, lengths)
    their_parts = torch_data.random_split(torch_data.TensorDataset(torch.arange(10)), lengths)
    assert [len(part) for part in parts] == [len(part) for part in their_parts]
    seen = sorted(index for part in parts for index in part.indices)
    assert seen == list(range(10))
    assert all(isinstance(part, data.Subset) and part.dataset is dataset for part in parts)


def test_random_split_is_repeatable_with_a_seed_or_generator():
    dataset = data.TensorDataset(minigrad.arange(100))
    minigrad.manual_seed(3)
    first = [part.indices for part in data.random_split(dataset, [50, 50])]
    minigrad.manual_seed(3)
    assert [part.indices for part in data.random_split(dataset, [50, 50])] == first
    with_generator = [part.indices for part in data.random_split(dataset, [0.5, 0.5],
                                                                generator=numpy.random.default_rng(7))]
    again = [part.indices for part in data.random_split(dataset, [0.5, 0.5], generator=numpy.random.default_rng(7))]
    assert with_generator == again != first


def test_random_split_errors_and_warnings_match_torch():
    dataset = data.TensorDataset(minigrad.arange(10))
    with pytest.raises(ValueError, match="Sum of input lengths does not equal the length of the input dataset!"):
        data.random_split(dataset, [3, 3])
    with pytest.raises(ValueError) as theirs:
        torch_data.random_split(torch_data.TensorDataset(torch.arange(10)), [0.5, 1.5, -1.0])
    with pytest.raises(ValueError, match="Fraction at index 1 is not between 0 and 1") as ours:
        data.random_split(dataset, [0.5, 1.5, -1.0])
    assert str(ours.value) == str(theirs.value)
    messages = []
    for split, dataset in ((torch_data.random_split, torch_data.TensorDataset(torch.arange(2))),
                           (data.random_split, data.TensorDataset(minigrad.arange(2)))):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            split(dataset, [0.9, 0.05, 0.05])
        messages.append([str(warning.message) for warning in caught])
    assert messages[1] == messages[0] == [
        "Length of split at index 1 is 0. This might result in an empty dataset.",
        "Length of split at index 2 is 0. This might result in an empty dataset."]


# ---- collation ------------------------------------------------------------------------------

SAMPLES = {
    "tensors": lambda lib: [(lib.tensor([1.0, 2.0]), lib.tensor(3)), (lib.tensor([4.0, 5.0]), lib.tensor(6))],
    "numbers": lambda lib: [(1, 2.5, True), (3, 4.5, False)],
    "numpy": lambda lib: [numpy.arange(3, dtype="int32"), numpy.ones(3, dtype="int32")],
    "numpy_scalars": lambda lib: [numpy.float32(1.5), numpy.float32(2.5)],
    "strings": lambda lib: [("a", 1), ("b", 2)],
    "dicts": lambda lib: [{"x": lib.tensor([1, 2]), "y": 0.5, "name": "p"},
                          {"x": lib.tensor([3, 4]), "y": 1.5, "name": "q"}],
    "lists": lambda lib: [[1, [2.0, 3.0]], [4, [5.0, 6.0]]],
    "namedtuple": lambda lib: [Point(lib.tensor(1.0), 2), Point(lib.tensor(3.0), 4)],
    "ordered": lambda lib: [collections.OrderedDict(b=1, a=2.0), collections.OrderedDict(b=3, a=4.0)],
}


@pytest.mark.parametrize("kind", SAMPLES)
def test_default_collate_matches_torch(kind):
    mine = data.default_collate(SAMPLES[kind](minigrad))
    reference = torch_data.default_collate(SAMPLES[kind](torch))
    assert_same_batch(mine, reference)


@pytest.mark.parametrize("kind", SAMPLES)
def test_default_convert_matches_torch(kind):
    for mine, reference in zip(SAMPLES[kind](minigrad), SAMPLES[kind](torch)):
        assert_same_batch(data.default_convert(mine), torch_data.default_convert(reference))


@pytest.mark.parametrize("batch", [[object(), object()], [None, None], [numpy.array(["a"]), numpy.array(["b"])]])
def test_default_collate_rejects_what_torch_rejects(batch):
    with pytest.raises(TypeError) as theirs:
        torch_data.default_collate(batch)
    with pytest.raises(TypeError) as ours:
        data.default_collate(batch)
    assert str(ours.value) == str(theirs.value)


def test_default_collate_unequal_sizes_raise_torchs_errors():
    with pytest.raises(RuntimeError, match=r"stack expects each tensor to be equal size, but got \[2\] at entry 0 "
                                           r"and \[3\] at entry 1"):
        data.default_collate([minigrad.zeros(2), minigrad.zeros(3)])
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        data.default_collate([[1, 2], [3]])


def test_collating_tensors_that_require_grad_keeps_the_graph():
    rows = [minigrad.tensor([1.0, 2.0], requires_grad=True), minigrad.tensor([3.0, 4.0], requires_grad=True)]
    batch = data.default_collate(rows)
    (batch * minigrad.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
    assert rows[1].grad.tolist() == [3.0, 4.0]


# ---- DataLoader ---------------------------------------------------------------------------------

def loaders(batch_size, drop_last=False, **options):
    inputs, targets = make_tensors()
    ours = data.DataLoader(data.TensorDataset(minigrad.tensor(inputs), minigrad.tensor(targets)),
                           batch_size=batch_size, drop_last=drop_last, **options)
    theirs = torch_data.DataLoader(torch_data.TensorDataset(torch.from_numpy(inputs), torch.from_numpy(targets)),
                                   batch_size=batch_size, drop_last=drop_last, **options)
    return ours, theirs


@pytest.mark.parametrize("batch_size", [1, 3, 7, 10, 12])
@pytest.mark.parametrize("drop_last", [False, True])
def test_sequential_batches_equal_torchs(batch_size, drop_last):
    ours, theirs = loaders(batch_size, drop_last)
    assert len(ours) == len(theirs)
    our_batches, their_batches = list(ours), list(theirs)
    assert len(our_batches) == len(their_batches) == len(ours)
    for mine, reference in zip(our_batches, their_batches):
        assert_same_batch(mine, reference)


def test_fast_tensor_dataset_path_equals_sample_by_sample_collation():
    fast, _ = loaders(4)
    slow, _ = loaders(4, collate_fn=lambda batch: data.default_collate(batch))
    for a, b in zip(fast, slow):
        assert_same_batch(a, [torch.from_numpy(t.numpy()) for t in b])


def test_shuffle_visits_every_sample_once_per_epoch_in_a_new_order():
    loader = data.DataLoader(data.TensorDataset(minigrad.arange(50)), batch_size=8, shuffle=True)
    epochs = [[int(i) for batch in loader for i in batch[0].tolist()] for _ in range(3)]
    for order in epochs:
        assert sorted(order) == list(range(50))
    assert epochs[0] != epochs[1] != epochs[2]


def test_manual_seed_fixes_the_shuffle_order():
    loader = data.DataLoader(data.TensorDataset(minigrad.arange(30)), batch_size=4, shuffle=True)
    minigrad.manual_seed(11)
    first = [batch[0].tolist() for batch in loader]
    minigrad.manual_seed(11)
    assert [batch[0].tolist() for batch in loader] == first
    minigrad.manual_seed(12)
    assert [batch[0].tolist() for batch in loader] != first


def test_generator_fixes_the_shuffle_independently_of_the_global_seed():
    dataset = data.TensorDataset(minigrad.arange(30))
    orders = []
    for global_seed in (1, 2):
        minigrad.manual_seed(global_seed)
        loader = data.DataLoader(dataset, batch_size=5, shuffle=True, generator=numpy.random.default_rng(5))
        orders.append([batch[0].tolist() for batch in loader])
    assert orders[0] == orders[1]


def test_batch_size_none_yields_converted_samples():
    dataset = [numpy.array([1.0, 2.0]), numpy.array([3.0, 4.0])]
    ours = list(data.DataLoader(dataset, batch_size=None))
    theirs = list(torch_data.DataLoader(dataset, batch_size=None))
    for mine, reference in zip(ours, theirs):
        assert_same_batch(mine, reference)


def test_plain_lists_of_dicts_and_custom_collate():
    samples = [{"id": i, "value": float(i) / 2} for i in range(5)]
    for mine, reference in zip(data.DataLoader(samples, batch_size=2), torch_data.DataLoader(samples, batch_size=2)):
        assert_same_batch(mine, reference)
    batches = list(data.DataLoader(samples, batch_size=2, collate_fn=lambda batch: [s["id"] for s in batch]))
    assert batches == [[0, 1], [2, 3], [4]]


def test_sampler_and_batch_sampler_options():
    dataset = data.TensorDataset(minigrad.arange(6))
    loader = data.DataLoader(dataset, batch_size=2, sampler=[5, 4, 3, 2, 1, 0])
    assert [batch[0].tolist() for batch in loader] == [[5, 4], [3, 2], [1, 0]]
    loader = data.DataLoader(dataset, batch_sampler=[[0, 2], [1, 3, 5]])
    assert [batch[0].tolist() for batch in loader] == [[0, 2], [1, 3, 5]] and len(loader) == 2
    sampler = data.BatchSampler(data.SequentialSampler(range(7)), 3, drop_last=False)
    assert list(sampler) == list(torch_data.BatchSampler(torch_data.SequentialSampler(range(7)), 3, False))
    assert len(sampler) == 3 and len(data.BatchSampler(range(7), 3, True)) == 2
    subset_order = list(data.SubsetRandomSampler([10, 20, 30]))
    assert sorted(subset_order) == [10, 20, 30]
    with_replacement = list(data.RandomSampler(range(4), replacement=True, num_samples=20))
    assert len(with_replacement) == 20 and set(with_replacement) <= {0, 1, 2, 3}
    more = list(data.RandomSampler(range(4), num_samples=10))
    assert len(more) == 10 and sorted(more[:4]) == [0, 1, 2, 3]


@pytest.mark.parametrize("options", [
    dict(shuffle=True, sampler=[0, 1]), dict(batch_sampler=[[0]], batch_size=2), dict(batch_sampler=[[0]], drop_last=True),
    dict(batch_size=None, drop_last=True), dict(num_workers=-1), dict(prefetch_factor=2),
    dict(persistent_workers=True), dict(timeout=-1),
])
def test_conflicting_options_raise_torchs_errors(options):
    with pytest.raises(ValueError) as theirs:
        torch_data.DataLoader(list(range(4)), **options)
    with pytest.raises(ValueError) as ours:
        data.DataLoader(list(range(4)), **options)
    assert str(ours.value) == str(theirs.value)


def test_bad_batch_sampler_arguments_raise_torchs_errors():
    for arguments in ((range(3), 0, False), (range(3), 2, "no")):
        with pytest.raises(ValueError) as theirs:
            torch_data.BatchSampler(*arguments)
        with pytest.raises(ValueError) as ours:
            data.BatchSampler(*arguments)
        assert str(ours.value) == str(theirs.value)


def test_attributes_cannot_change_after_init():
    loader = data.DataLoader([1, 2, 3])
    with pytest.raises(ValueError, match="batch_size attribute should not be set after DataLoader is initialized"):
        loader.batch_size = 2


def test_workers_options_are_accepted_and_loading_stays_in_process():
    loader = data.DataLoader(list(range(6)), batch_size=4, num_workers=2, pin_memory=True, persistent_workers=True,
                             prefetch_factor=2)
    assert [batch.tolist() for batch in loader] == [[0, 1, 2, 3], [4, 5]]


class Stream(data.IterableDataset):
    def __init__(self, count):
        self.count = count

    def __iter__(self):
        return iter(range(self.count))

    def __len__(self):
        return self.count


class TorchStream(torch_data.IterableDataset):
    def __init__(self, count):
        self.count = count

    def __iter__(self):
        return iter(range(self.count))

    def __len__(self):
        return self.count


@pytest.mark.parametrize("batch_size, drop_last", [(3, False), (3, True), (None, False), (5, False)])
def test_iterable_datasets_match_torch(batch_size, drop_last):
    ours = data.DataLoader(Stream(10), batch_size=batch_size, drop_last=drop_last)
    theirs = torch_data.DataLoader(TorchStream(10), batch_size=batch_size, drop_last=drop_last)
    assert len(ours) == len(theirs)
    our_batches, their_batches = list(ours), list(theirs)
    assert len(our_batches) == len(their_batches)
    for mine, reference in zip(our_batches, their_batches):
        assert_same_batch(mine, reference)
    with pytest.raises(ValueError, match="expected unspecified shuffle option, but got shuffle=True"):
        data.DataLoader(Stream(3), shuffle=True)


def test_device_option_moves_every_tensor_of_the_batch():
    samples = [{"x": minigrad.tensor([1.0]), "pair": (minigrad.tensor(1), "tag")}] * 3
    for batch in data.DataLoader(samples, batch_size=2, device="cpu"):
        assert batch["x"].device == minigrad.device("cpu") and batch["pair"][1] == ("tag",) * len(batch["x"])


@pytest.mark.cuda
def test_device_option_yields_gpu_batches():
    inputs, targets = make_tensors()
    loader = data.DataLoader(data.TensorDataset(minigrad.tensor(inputs), minigrad.tensor(targets)), batch_size=4,
                             device="cuda")
    x, y = next(iter(loader))
    assert x.device == minigrad.device("cuda:0") and y.device == minigrad.device("cuda:0")
    numpy.testing.assert_array_equal(x.cpu().numpy(), inputs[:4])


def test_utils_data_is_torchs_path():
    for name in ("Dataset", "IterableDataset", "TensorDataset", "ConcatDataset", "Subset", "random_split",
                 "DataLoader", "default_collate", "default_convert", "Sampler", "SequentialSampler",
                 "RandomSampler", "SubsetRandomSampler", "BatchSampler"):
        assert hasattr(torch_data, name) and getattr(minigrad.utils.data, name) is getattr(minigrad.data, name)


def test_tutorial_training_loop_with_only_the_import_changed():
    """A torch-style loop: TensorDataset -> DataLoader(shuffle) -> model -> loss -> SGD."""
    import minigrad as torch_like
    torch_like.manual_seed(0)
    inputs = torch_like.randn(64, 3)
    targets = (inputs.sum(dim=1) > 0).long()
    loader = torch_like.utils.data.DataLoader(torch_like.utils.data.TensorDataset(inputs, targets),
                                              batch_size=16, shuffle=True)
    model = torch_like.nn.Linear(3, 2)
    optimizer = torch_like.optim.SGD(model.parameters(), lr=0.5)
    loss_fn = torch_like.nn.CrossEntropyLoss()
    losses = []
    for _ in range(10):
        for x, y in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    assert sum(losses[-4:]) < sum(losses[:4]) / 2


def test_weighted_random_sampler_draws_by_weight_and_balances_classes():
    """Each index with probability proportional to its weight; as a tutorial uses it, weights of
    1 / class count give batches whose classes are balanced from a 9:1 dataset."""
    minigrad.manual_seed(0)
    labels = numpy.array([0] * 90 + [1] * 10)
    weights = 1.0 / numpy.bincount(labels)[labels]
    sampler = minigrad.utils.data.WeightedRandomSampler(weights.tolist(), num_samples=20000)
    drawn = numpy.array(list(sampler))
    assert len(sampler) == 20000 and len(drawn) == 20000
    assert abs(labels[drawn].mean() - 0.5) < 0.02
    loader = minigrad.utils.data.DataLoader(minigrad.utils.data.TensorDataset(minigrad.tensor(labels)),
                                            batch_size=50, sampler=minigrad.utils.data.WeightedRandomSampler(
                                                minigrad.tensor(weights), 200))
    seen = numpy.concatenate([batch.numpy() for (batch,) in loader])
    assert len(seen) == 200 and 0.3 < seen.mean() < 0.7
    once = list(minigrad.utils.data.WeightedRandomSampler([0.1, 0.0, 5.0, 1.0], 3, replacement=False))
    assert sorted(once) == [0, 2, 3]


@pytest.mark.parametrize("call", [
    "W([1.0, 2.0], 0)", "W([1.0, 2.0], True)", "W([1.0, 2.0], 2, replacement=1)", "W([[1.0, 2.0]], 2)",
    "list(W([1.0, 0.0], 3, replacement=False))", "list(W([-1.0, 2.0], 3))", "list(W([0.0, 0.0], 2))",
])
def test_weighted_random_sampler_errors_match_torch(call):
    errors = []
    for lib in (torch, minigrad):
        with pytest.raises(Exception) as caught:
            eval(call, {"W": lib.utils.data.WeightedRandomSampler})
        errors.append((type(caught.value).__name__, str(caught.value)))
    assert errors[1] == errors[0]
