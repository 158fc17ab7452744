"""Token ids in, token ids out: TextForecast-v0 for RLlib.

RLlib keeps only the first character of ``Text`` observations (its ``unbatch``
walks strings), so RLlib sees this wrapper instead:

* observation: ``Dict(input_ids=Box(0, V - 1, (P,), int64), attention_mask=Box(0,
  1, (P,), int64))``, the prompt tokenized and left-padded to ``P =
  max_prompt_tokens`` (left padding puts the last prompt token next to the first
  generated one, as decoder LMs want);
* action: ``MultiDiscrete([V] * C)``, ``C = max_completion_tokens`` completion
  token ids. The completion ends at the first end-of-sequence or padding token; the
  rest is decoded (special tokens skipped) and passed to the text env.

``V`` is ``len(tokenizer)``. The tokenizer can be any Hugging Face tokenizer (a
``transformers.PreTrainedTokenizerBase``), with ``chat_template=True`` to wrap the
prompt as a user message of the tokenizer's chat template.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces


class TokenizedTextForecast(gym.Wrapper, gym.utils.RecordConstructorArgs):
    """Wrap a ``TextForecast-v0`` env so observations and actions are token ids.

    ``info`` gains ``completion`` (the decoded text) on ``step`` and
    ``prompt_tokens`` (the unpadded prompt length) on ``reset``. A prompt longer
    than ``max_prompt_tokens`` raises ValueError naming both lengths.
    """

    def __init__(
        self,
        env: gym.Env,
        tokenizer: Any,
        *,
        max_prompt_tokens: int = 1024,
        max_completion_tokens: int = 128,
        chat_template: bool = False,
    ) -> None:
        gym.utils.RecordConstructorArgs.__init__(
            self,
            tokenizer=tokenizer,
            max_prompt_tokens=max_prompt_tokens,
            max_completion_tokens=max_completion_tokens,
            chat_template=chat_template,
        )
        gym.Wrapper.__init__(self, env)
        for name, value in (
            ("max_prompt_tokens", max_prompt_tokens),
            ("max_completion_tokens", max_completion_tokens),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        self.tokenizer = tokenizer
        self.vocab_size = len(tokenizer)
        pad = tokenizer.pad_token_id
        eos = tokenizer.eos_token_id
        if pad is None and eos is None:
            raise ValueError(
                "tokenizer needs a pad_token_id or an eos_token_id to pad prompts and "
                "end completions; both are None"
            )
        self.pad_token_id = int(pad if pad is not None else eos)
        self.stop_token_ids = frozenset(int(t) for t in (pad, eos) if t is not None)
        self.max_prompt_tokens = max_prompt_tokens
        self.max_completion_tokens = max_completion_tokens
        self.chat_template = chat_template
        self.observation_space = spaces.Dict(
            {
                "input_ids": spaces.Box(
                    0, self.vocab_size - 1, (max_prompt_tokens,), np.int64
                ),
                "attention_mask": spaces.Box(0, 1, (max_prompt_tokens,), np.int64),
            }
        )
        self.action_space = spaces.MultiDiscrete(
            np.full(max_completion_tokens, self.vocab_size, dtype=np.int64)
        )
        self._encoded: dict[int, dict[str, np.ndarray]] = {}
        self._observation: dict[str, np.ndarray] | None = None

    def encode_prompt(self, prompt: str) -> list[int]:
        """Token ids of a prompt (through the chat template when asked)."""
        if self.chat_template:
            ids = self.tokenizer.apply_chat_template(
                [{"role": "user", "content": prompt}],
                add_generation_prompt=True,
                tokenize=True,
            )
            if isinstance(ids, dict) or hasattr(ids, "keys"):
                ids = ids["input_ids"]
            return list(ids)
        return list(self.tokenizer.encode(prompt, add_special_tokens=False))

    def _observe(self, window_id: int, prompt: str) -> dict[str, np.ndarray]:
        cached = self._encoded.get(window_id)
        if cached is None:
            ids = self.encode_prompt(prompt)
            n = len(ids)
            if n > self.max_prompt_tokens:
                raise ValueError(
                    f"window {window_id}: the prompt has {n} tokens, more than "
                    f"max_prompt_tokens={self.max_prompt_tokens}; raise it or use "
                    "prompt_format='compact' or a shorter window"
                )
            input_ids = np.full(self.max_prompt_tokens, self.pad_token_id, np.int64)
            mask = np.zeros(self.max_prompt_tokens, np.int64)
            if n:
                input_ids[-n:] = ids
                mask[-n:] = 1
            cached = {"input_ids": input_ids, "attention_mask": mask}
            self._encoded[window_id] = cached
        return {k: v.copy() for k, v in cached.items()}

    def decode_completion(self, action: Any) -> str:
        """Text of completion ids, up to the first stop (eos or pad) token."""
        ids = np.asarray(action).reshape(-1).tolist()
        for position, token in enumerate(ids):
            if token in self.stop_token_ids:
                ids = ids[:position]
                break
        return self.tokenizer.decode(ids, skip_special_tokens=True)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        prompt, info = self.env.reset(seed=seed, options=options)
        self._observation = self._observe(info["window_id"], prompt)
        info["prompt_tokens"] = int(self._observation["attention_mask"].sum())
        return self._observation, info

    def step(
        self, action: Any
    ) -> tuple[dict[str, np.ndarray], float, bool, bool, dict[str, Any]]:
        completion = self.decode_completion(action)
        _, reward, terminated, truncated, info = self.env.step(completion)
        info["completion"] = completion
        return self._observation, float(reward), terminated, truncated, info
