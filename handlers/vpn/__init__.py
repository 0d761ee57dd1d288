"""Site-to-site VPN building blocks: customer gateways, virtual private gateways (``vgw-…``)
with their VPC attachments, and route propagation from a gateway into route tables.

Split by role: :mod:`.customer_gateways`, :mod:`.vpn_gateways` (gateways and attachments),
:mod:`.propagation` (Enable/DisableVgwRoutePropagation and what gateways going means for route
tables).
"""

from handlers.vpn import customer_gateways, propagation, vpn_gateways

__all__ = ["customer_gateways", "propagation", "vpn_gateways"]
