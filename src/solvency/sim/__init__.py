"""Protocol simulation: price paths, loan books, liquidation engines, named scenarios, risk metrics.

Modules, in the order a run uses them:

* :mod:`~solvency.sim.paths` — path models (GBM, Merton, GARCH-t FHS via ``arch``, block bootstrap, shaped
  scenarios, historical replays), multi-asset with Cholesky / t-copula dependence;
* :mod:`~solvency.sim.scenarios` — the named historical stresses and their sources;
* :mod:`~solvency.sim.book` — :class:`~solvency.sim.book.LoanBook` (struct of arrays), the synthetic generator,
  the CSV loader;
* :mod:`~solvency.sim.mechanics` — oracle, liquidators, close factor, impact; :class:`SimSetup` bundles them and
  its docstring is the specification of one simulation step;
* :mod:`~solvency.sim.policy` — the liquidation-priority extension point (``score``/``size`` functions);
* :mod:`~solvency.sim.reference` (slow, plain) and :mod:`~solvency.sim.kernels` (compiled) — the engines;
  :mod:`~solvency.sim.engine` chooses and runs one; :mod:`~solvency.sim.montecarlo` feeds it seeded blocks of paths;
* :mod:`~solvency.sim.metrics`, :mod:`~solvency.sim.results` — VaR95 / ES99 / LaR95 and the result objects;
* :mod:`~solvency.sim.stress` — :func:`~solvency.sim.stress.simulate_lending`, everything assembled from a
  :class:`~solvency.config.MarketSpec` (the ``solvency stress`` command).
"""
