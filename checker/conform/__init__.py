"""Conformance of real DHCP servers and clients with the model (issue 6).

``runner`` plays the KB scenario against real daemons in network namespaces and records the
traffic; ``pcap`` reads the capture; ``classify`` names each DHCP message as RFC 2131 table 4
does and maps it onto model ids; ``validate`` decides, per server variant, whether the observed
sequence is a behaviour of the model; ``report`` renders the outcome.
"""
