"""On-Demand Capacity Reservations: instance capacity of one type in one zone, held for you.

AWS behaviour reproduced:

* ``CreateCapacityReservation`` answers an ``active`` reservation of ``InstanceCount``
  instances of a type and platform in a zone; ``EndDateType`` ``unlimited`` (no ``EndDate``) or
  ``limited`` (with one: the reservation turns ``expired`` then); ``InstanceMatchCriteria``
  ``open`` (any matching instance uses it) or ``targeted`` (only instances naming it);
* running (and pending) instances use it: ``AvailableInstanceCount`` = total − in use; an
  instance launched with ``CapacityReservationTarget`` needs room
  (``ReservationCapacityExceeded``), one with preference ``open`` fills a matching open
  reservation when there is room, ``none`` never does; ``DescribeInstances`` shows its
  ``CapacityReservationId``;
* ``ModifyCapacityReservation`` changes the count and the end; ``CancelCapacityReservation``
  frees the capacity (instances keep running) and leaves it ``cancelled``, still describable
  for the ``capacity_reservation_retention`` timing (an hour).
"""

from handlers.capacity_reservations import actions, usage

__all__ = ["actions", "usage"]
