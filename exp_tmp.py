import time, dataclasses, sys
from leasecheck.checker.allsizes import safety
from leasecheck.checker.allsizes.effort import Effort
from leasecheck.checker.allsizes.fo import first_order_system
from leasecheck.checker.allsizes.fo_finite import FiniteReading
from leasecheck.checker.allsizes.learn import StateMatrix
from leasecheck.checker.explicit.explore import explore
from leasecheck.model.dhcp import Config, dhcp_system
variant, prop, d = sys.argv[1], sys.argv[2], int(sys.argv[3])
cfg = Config(2, 2, variant, deletes=d)
fs = first_order_system(Config(variant=variant, deletes=d))
g = explore(dhcp_system(cfg))
t=time.time()
pool = safety.learn_pool(fs, [StateMatrix(FiniteReading(first_order_system(cfg), 2, 2), list(g.states))])
print(len(g.states), "states", len(pool), "pool", time.time()-t)
qs=[]
t=time.time()
p = safety.prove_invariant(fs, safety.fo_property(fs, prop), pool, Effort(trace=qs.append), final=False)
print(p.verdict, p.reason, len(p.clauses), p.queries, time.time()-t, sum(q.work for q in qs)/1e6, "M")
