"""Run features, scoring and training past one machine, on Dask.

:mod:`~fakedetect.scale.partition` splits a dataset into parts by account;
:mod:`~fakedetect.scale.engine` starts or connects to a cluster and runs one task per part;
:mod:`~fakedetect.scale.dask_features`, :mod:`~fakedetect.scale.dask_predict` and
:mod:`~fakedetect.scale.dask_train` run the same functions as the local engine on each part.
Nothing here imports Dask until it is used. See ``docs/scale.md``.
"""
