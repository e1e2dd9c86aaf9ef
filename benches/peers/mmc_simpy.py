"""The M/M/c benchmark model of benches/engine.rs written with SimPy 4, for comparison.

lambda = 8/h, mu = 1/h, c = 10 servers (a simpy.Resource of capacity 10), no warm-up,
200,000 simulated hours (about 1.6 million customers) unless a horizon in hours is given as
the first argument. Waits are accumulated as they occur (sum and count, as the Rust model's
Tally does), and the output uses the same key=value lines as examples/mmc.rs.
"""

import random
import sys
import time

import simpy

LAMBDA = 8.0
MU = 1.0
SERVERS = 10


def main() -> None:
    horizon = float(sys.argv[1]) if len(sys.argv) > 1 else 200_000.0
    rng = random.Random(1)
    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=SERVERS)
    stats = {"wait_sum": 0.0, "customers": 0}

    def customer(env):
        arrived = env.now
        with servers.request() as req:
            yield req
            stats["wait_sum"] += env.now - arrived
            stats["customers"] += 1
            yield env.timeout(rng.expovariate(MU))

    def source(env):
        while True:
            yield env.timeout(rng.expovariate(LAMBDA))
            env.process(customer(env))

    env.process(source(env))
    start = time.perf_counter()
    env.run(until=horizon)
    wall = time.perf_counter() - start
    n = stats["customers"]
    print("simulator=simpy-" + simpy.__version__)
    print(f"horizon_h={horizon:g}")
    print(f"mean_wait_h={stats['wait_sum'] / n:.5f}")
    print(f"customers={n}")
    print(f"wall_s={wall:.4f}")


if __name__ == "__main__":
    main()
