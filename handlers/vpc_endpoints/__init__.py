"""VPC endpoints: the service catalogue, gateway and interface endpoints.

AWS behaviour reproduced:

* ``DescribeVpcEndpointServices`` lists the region's services (:mod:`.services`): gateway
  ``s3``/``dynamodb``, interface ``ec2``, ``ssm``, ``logs``, ``ecr.dkr``, … (``s3`` both), with
  the ``ServiceDetail`` fields the provider reads; filters ``service-name``, ``service-type``,
  ``owner``, tags; unknown ``ServiceNames`` are ``InvalidServiceName``;
* gateway endpoints add a route ``DestinationPrefixListId=<service list> → GatewayId=vpce-…`` to
  each chosen route table and remove it (:mod:`.gateway`); interface endpoints own one
  requester-managed ENI per subnet (``InterfaceType vpc_endpoint``), security groups (the VPC's
  default group when none are given), DNS entries and private DNS (:mod:`.interface`);
* states ``pending → available`` and ``deleting →`` gone on the one clock (:mod:`.view`);
  ``PolicyDocument`` is stored and echoed, AWS's full-access policy by default;
* an endpoint blocks deleting its VPC, its subnets and its security groups; a deleted route
  table drops out of ``RouteTableIds``;
* ``DescribeVpcEndpoints`` of an unknown id is ``InvalidVpcEndpointId.NotFound``;
  ``DeleteVpcEndpoints`` answers ``InvalidVpcEndpoint.NotFound`` as an ``Unsuccessful`` item
  (the provider's "gone" codes); ``DescribeVpcEndpointConnections`` is empty (the caller owns no
  endpoint service).
"""

from handlers.vpc_endpoints import actions as actions
