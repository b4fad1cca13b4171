"""fakedetect's own compiled code: the algorithms LightGBM and shap lack.

The bottom of the import graph: nothing here imports another fakedetect module outside
this package. Each algorithm has its own module, a plain-library fallback in the caller
(:class:`fakedetect.model.FakeModel`), an equality test against the library and a
side-by-side benchmark (``benchmarks/compiled.py``):

:mod:`~fakedetect._compiled.trees`
    A model's numerical splits in flat arrays, from ``booster.dump_model()``.
:mod:`~fakedetect._compiled.treeshap`
    Exact path-dependent TreeSHAP, tabulated per leaf (fallback: LightGBM's
    ``pred_contrib``).
:mod:`~fakedetect._compiled.leafmasks`
    Raw margins by leaf bit masks, and each distinct follower pattern scored once
    (fallback: ``booster.predict(raw_score=True)``).
:mod:`~fakedetect._compiled.runtime`
    Launching the numba kernels on a given number of threads.
:mod:`~fakedetect._compiled.warm`
    Compiling every kernel once (``make install``).
"""
