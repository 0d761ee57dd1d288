"""NAT gateways: create, describe, delete, and their secondary addresses.

``model`` holds the record's lazy states, its API view, filters and what a NAT gateway holds on
to (core.dependents); ``actions`` Create/Describe/DeleteNatGateway; ``addresses``
Associate/DisassociateNatGatewayAddress and Assign/UnassignPrivateNatGatewayAddress.

AWS behaviour reproduced (read against the Terraform provider's ``vpc_nat_gateway.go``,
``wait.go`` and ``find.go``):

* a gateway owns a requester-managed interface in its subnet (``InterfaceType nat_gateway``,
  ``Status in-use``, ``Description "Interface for NAT Gateway nat-…"``) holding its private
  addresses from the subnet's IPAM; a public gateway's Elastic IPs are associated with it
  (``DescribeAddresses`` shows ``NetworkInterfaceId``, ``PrivateIpAddress``, ``AssociationId``)
  and cannot be released, re-associated or disassociated while it holds them (``AuthFailure``,
  as AWS answers for service-managed associations);
* ``pending`` → ``available`` and ``deleting`` → ``deleted`` take ``Timings.nat_gateway_*``; a
  deleted gateway stays describable (``State deleted``, ``DeleteTime``) for
  ``nat_gateway_retention`` — the provider's delete waiter and its finder treat ``deleted`` as
  gone — and any other call naming it answers ``NatGatewayNotFound``;
* deleting releases its interface and addresses at once and turns routes to it ``blackhole``;
  live gateways block DeleteSubnet and DeleteVpc (``DependencyViolation``), a public one also
  DetachInternetGateway of its VPC's gateway;
* a public gateway in a VPC without an attached internet gateway fails
  (``State failed``, ``FailureCode Gateway.NotAttached``), as on AWS.

Records are Hive's (``<prefix>-vpc-nat-gateways``, key ``<account>.<nat-id>``: ``nat_gateway_id,
vpc_id, subnet_id, allocation_id, public_ip, state, account_id, tags, created_at``) plus ours
(``connectivity_type``, ``network_interface_id``, ``addresses`` …). Hive moves deleted gateways
to a TTL bucket; we keep them in place with ``state deleting`` and the times of each step.
"""
