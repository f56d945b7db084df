"""Conformance of real DHCP servers and clients with the model (``leasecheck.checker.conform``).

``runner`` plays a scenario (``scenarios``: the KB's and four more, as data) against real
daemons (``daemons``) in network namespaces and records the traffic; ``crowd`` runs many real
clients on one bridge against one server, disturbed while they run; ``matrix`` runs every
server x client x scenario, resumably, and ``matrix_render`` draws it; ``policies`` finds the
server policies that explain a server in every measured cell, and ``verdicts`` reads what the
model decides of them (the sweeps' records, the all-sizes certificates); ``pcap`` reads the capture; ``classify`` names each DHCP message as RFC 2131 table 4
does and maps it onto model ids; ``validate`` decides, per server variant, whether the observed
sequence is a behaviour of the model of all the capture's clients; ``perclient`` judges a capture
of any size client by client, as a stream, each client against its view of the model
(``project``) with the lease table the capture shows (``holdings``) as its environment and a
global check beside; ``synth`` writes captures from model messages and ``assemble`` multiplies
real ones, with seeded deviations; ``report`` holds the outcome of one case as data and
``render`` draws it. The command itself is :mod:`leasecheck.checker.cli.conform`.

May import: leasecheck.errors, leasecheck.model, leasecheck.properties, leasecheck.checker.results,
leasecheck.checker.explicit, leasecheck.checker.render.
"""
