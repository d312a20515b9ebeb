"""Inspect AI entry point (`[project.entry-points.inspect_ai]`): registers the tasks and the reference models.

After `pip install cpython-retrieval[inspect]`:

    inspect eval cpython_retrieval/T25 --model cpython_retrieval/oracle
"""

from .adapters.inspect_models import ReferenceModelAPI  # noqa: F401  (registers the `cpython_retrieval` modelapi)
from .tasks import T25, T50, T100, T200, T500, T1000  # noqa: F401  (registers the tasks)
