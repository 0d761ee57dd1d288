"""Managed prefix lists: AWS-managed lists per region and customer-managed ones.

AWS behaviour reproduced:

* every region serves AWS-managed lists owned by ``AWS`` (``com.amazonaws.<region>.s3``,
  ``.dynamodb``, ``.ec2-instance-connect``) with stable ``pl-…`` ids, through
  ``DescribeManagedPrefixLists`` and the older ``DescribePrefixLists`` (:mod:`.catalogue`);
* customer-managed lists (:mod:`.actions`): ``create-in-progress → create-complete``,
  ``modify-in-progress → modify-complete`` (entries added/removed make a new version;
  ``CurrentVersion`` must match, else ``PrefixListVersionMismatch``), ``restore-in-progress →
  restore-complete``, ``delete-in-progress →`` gone; ``MaxEntries`` bounds the entries and can be
  resized (not below the entries held, not together with entry changes);
  ``GetManagedPrefixListEntries`` with ``TargetVersion``; ``ClientToken`` idempotency; tags;
* security-group rules (``PrefixListIds``) and routes (``DestinationPrefixListId``) must name a
  list the caller can see (:mod:`.lookup`), count as associations
  (``GetManagedPrefixListAssociations``) and block ``DeleteManagedPrefixList``
  (declared by those families; :mod:`.associations`);
* unknown ids are ``InvalidPrefixListID.NotFound`` (``InvalidPrefixListId.NotFound`` from
  ``DescribePrefixLists``), as the provider's finders expect.
"""

from handlers.prefix_lists import actions as actions
