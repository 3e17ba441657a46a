"""Agreement up to rounding, for runs whose members trained in ensembles of different sizes.

Same arithmetic in another summation order: BLAS and PyTorch's reductions pick kernels by the
number of rows, so a member's last bits can move with the ensemble it trains in
(``numeric.fastgrad``). The bounds are a few thousand ulps after the tests' 50-120 steps."""

import torch

TOLERANCE = {torch.float32: {"rtol": 1e-4, "atol": 1e-6}, torch.float64: {"rtol": 1e-9, "atol": 1e-12}}


def assert_alike(got, expected) -> None:
    """Tensors (or dicts / lists of them, or floats) equal up to rounding of their dtype."""
    if isinstance(expected, dict):
        assert got.keys() == expected.keys()
        for key in expected:
            assert_alike(got[key], expected[key])
        return
    if isinstance(expected, (list, tuple)) and expected and not isinstance(expected[0], (int, float, bool)):
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            assert_alike(g, e)
        return
    expected = torch.as_tensor(expected)
    got = torch.as_tensor(got, dtype=expected.dtype)
    if expected.dtype == torch.bool or not expected.is_floating_point():
        assert torch.equal(got, expected)
        return
    torch.testing.assert_close(got, expected, **TOLERANCE[expected.dtype])
