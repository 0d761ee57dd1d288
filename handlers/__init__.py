"""Action handlers, one module per resource family.

Importing this package imports every module below it (a :mod:`pkgutil` walk, so a new family
is found without editing a list), which registers its ``@action`` handlers and its
:mod:`hive_gateway.core.dependents` declarations.
"""

import importlib
import pkgutil

for _module in pkgutil.walk_packages(__path__, __name__ + "."):
    importlib.import_module(_module.name)
