"""Spot instance requests, fulfilled at once by the (simulated) capacity.

AWS behaviour reproduced:

* ``RequestSpotInstances`` makes ``InstanceCount`` requests (``sir-…``), each fulfilled at once
  by a spot instance (``InstanceLifecycle spot``, ``SpotInstanceRequestId``): state ``active``,
  status ``fulfilled``; a ``SpotPrice`` below the current spot price leaves a request ``open``
  with status ``price-too-low``, a ``ValidFrom`` in the future ``open``/``not-scheduled-yet``;
* ``RunInstances`` with ``InstanceMarketOptions`` (:mod:`handlers.instances.spot`) makes one
  request per instance the same way;
* ``CancelSpotInstanceRequests`` → ``cancelled`` (status
  ``request-canceled-and-instance-running``: the instance keeps running, as on AWS);
  terminating a request's instance closes it (``instance-terminated-by-user``); cancelled and
  closed requests stay describable for the ``spot_request_retention`` timing (four hours);
* ``DescribeSpotPriceHistory`` answers plausible hourly prices per type, zone and product.
"""
