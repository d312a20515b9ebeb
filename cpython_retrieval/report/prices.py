"""A prices file: USD per million tokens for each model, so cost can be computed where logs carry none.

```yaml
models:
  anthropic/claude-opus-4-1:
    input: 15.0          # uncached input
    cached_input: 1.5    # cache reads
    cache_write: 18.75   # cache writes (defaults to input)
    output: 75.0
```
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from ..errors import RetrievalError
from .records import CallRecord


@dataclass(frozen=True)
class ModelPrice:
    input: float
    output: float
    cached_input: float | None = None
    cache_write: float | None = None


@dataclass(frozen=True)
class Prices:
    models: dict[str, ModelPrice]

    def covers(self, model: str) -> bool:
        return model in self.models

    def call_cost(self, model: str, call: CallRecord) -> float:
        price = self.models[model]
        cached = call.cached_read_tokens or 0
        written = call.cached_write_tokens or 0
        uncached = max(0, (call.input_tokens or 0) - cached - written)
        cached_rate = price.cached_input if price.cached_input is not None else price.input
        write_rate = price.cache_write if price.cache_write is not None else price.input
        return (uncached * price.input + cached * cached_rate + written * write_rate + (call.output_tokens or 0) * price.output) / 1e6


def load_prices(path: str | Path) -> Prices:
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        models = {name: ModelPrice(**{k: float(v) for k, v in spec.items()}) for name, spec in (data.get("models") or {}).items()}
    except (OSError, yaml.YAMLError, TypeError, ValueError, AttributeError) as exc:
        raise RetrievalError(f"--prices {path}: {exc}; expected `models: {{NAME: {{input: .., output: .., cached_input: .., cache_write: ..}}}}` in USD per million tokens") from exc
    for name, price in sorted(models.items()):
        for field, value in sorted(vars(price).items()):
            if value is not None and not (math.isfinite(value) and value >= 0):
                raise RetrievalError(f"--prices {path}: {name}.{field} is {value}; a price must be a finite number >= 0 "
                                     "(USD per million tokens)")
    return Prices(models)
