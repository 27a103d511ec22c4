"""The routing service on the wall clock: the simulation's world model behind an HTTP API.

The live service runs the same definitions as the SimPy engine — route behaviour
(:class:`sim.world.route.RouteBehaviour`), keyed draws, token buckets, the strategy
registry, sender rules and text encoding — scheduled on the wall clock instead of in
simulated time, and keeps the same truth ledger (:class:`sim.records.RecordBuffer`).
Nothing here imports gevent or Locust; the load generator lives in ``loadtests/``.
"""
