"""Recurrent layers: ``modules.py`` (``nn.RNN/LSTM/GRU`` and the cells), ``cells.py`` (the registry
of cell kinds), ``readable.py`` (one step from tensor ops: read this first), ``fused.py`` (one graph
node per layer and direction, hand-written backward through time), ``layout.py`` (where each
time step's rows live in the packed layout) and ``cuda_kernels.py`` (the
fused step as one CUDA kernel on CuPy arrays)."""
