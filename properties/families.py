"""The model families leasecheck ships, by name, and the one a trace file is read as when its
reader is told none (the files leasecheck writes record a configuration, not a family).

This is the one place the generic side finds the DHCP model without being handed it: a front
end that builds another model passes its own family.
"""

from __future__ import annotations

from types import MappingProxyType

from leasecheck.properties.dhcp import DHCP
from leasecheck.properties.model import ModelFamily

#: every family leasecheck ships, by name
FAMILIES = MappingProxyType({"dhcp": DHCP})
#: the family of a trace file whose reader is told none
DEFAULT_FAMILY: ModelFamily = DHCP
