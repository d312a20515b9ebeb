"""A fake lm-eval backend that truncates like vLLM does (a WARNING via `maybe_truncate`), for the tripwire test.

`window` is what it reports as `max_length` (what the guard sees); `engine_window` is where it
actually truncates. Registered as `cpr-truncating-test` on import.
"""

from __future__ import annotations

from lm_eval.api.model import LM
from lm_eval.api.registry import register_model
from lm_eval.models.utils import maybe_truncate


@register_model("cpr-truncating-test")
class TruncatingLM(LM):
    def __init__(self, window: int = 10_000_000, engine_window: int = 4096, **kwargs) -> None:
        super().__init__()
        self.max_length = int(window)
        self.engine_window = int(engine_window)

    def generate_until(self, requests, disable_tqdm: bool = False):
        out = []
        for request in requests:
            prompt, gen_kwargs = request.args
            tokens = list(range(len(prompt) // 4))
            maybe_truncate(tokens, int(gen_kwargs.get("max_gen_toks", 256)), self.engine_window)
            out.append("NOT PRESENT")
        return out

    def loglikelihood(self, requests, disable_tqdm: bool = False):
        raise NotImplementedError

    def loglikelihood_rolling(self, requests, disable_tqdm: bool = False):
        raise NotImplementedError
