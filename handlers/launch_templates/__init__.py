"""Launch templates: versioned launch parameters that RunInstances can start from.

AWS behaviour reproduced:

* ``CreateLaunchTemplate`` makes version 1, the default and latest; names are unique per account
  (``InvalidLaunchTemplateName.AlreadyExistsException``, claimed by compare-and-swap), 3–128
  characters of ``[a-zA-Z0-9().\\-/_]`` (``InvalidLaunchTemplateName.MalformedException``);
* ``CreateLaunchTemplateVersion`` numbers versions 2, 3, … (never reusing a number), optionally
  starting from ``SourceVersion``'s data; ``ModifyLaunchTemplate`` sets the default version;
* ``DeleteLaunchTemplateVersions`` answers per version (the default version cannot go);
* ``DescribeLaunchTemplateVersions`` knows ``$Latest`` and ``$Default``, ``MinVersion``/
  ``MaxVersion`` and its filters;
* ``RunInstances`` with ``LaunchTemplate`` starts from the version's data, overridden by the
  request's own parameters, and tags instances ``aws:ec2launchtemplate:id``/``:version``
  (:mod:`handlers.launch_templates.merge`).

Unknown ids answer ``InvalidLaunchTemplateId.NotFound`` (``…Malformed`` without the ``lt-``
prefix), unknown names ``InvalidLaunchTemplateName.NotFoundException``, unknown versions
``InvalidLaunchTemplateId.VersionNotFound``.
"""

from handlers.launch_templates import actions, versions

__all__ = ["actions", "versions"]
