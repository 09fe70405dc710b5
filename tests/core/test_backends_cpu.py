"""``minigrad.backends.cpu`` reads this CPU as torch does: its vector capability, and whether torch's
oneDNN computes float16 here (which decides how torch's float16 convolution and gelu compute and
word their errors: fuzz seed 11728 gave NaN at a padded position on one machine and a number on another)."""
import pytest
import torch

from minigrad.backends import cpu


def test_the_cpu_capability_is_torchs():
    theirs = torch.backends.cpu.get_cpu_capability()
    if theirs not in ("DEFAULT", "AVX2", "AVX512"):
        pytest.skip(f"torch names this CPU's capability {theirs!r}, minigrad only the three x86 ones")
    assert cpu.get_cpu_capability() == theirs


def test_float16_in_onednn_where_torchs_onednn_takes_it():
    assert cpu.onednn_computes_float16() == torch.ops.mkldnn._is_mkldnn_fp16_supported()
