"""Sweeps: the same calculation over many markets, scenarios and files, run here or on a Dask cluster.

* :mod:`~solvency.sweep.seeds` — the seed contract (a stream per (market, scenario) cell and per block of 256
  paths), so numbers never depend on how the work is split;
* :mod:`~solvency.sweep.executors` — local loop, ``LocalCluster`` or an existing scheduler; results in task order;
* :mod:`~solvency.sweep.stress` — lending stress over markets × scenarios × path chunks;
* :mod:`~solvency.sweep.margin` — margin backtests over several price files.

It sits above ``sim`` and ``calibrate`` (it calls them) and below the CLI; ``dask.distributed`` (the
``[distributed]`` extra) is imported only when a cluster is asked for.
"""
