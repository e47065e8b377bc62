"""The OpenAI-compatible LLM client shared by the interviewer (`engine/dialogue/`) and the LLM scorer
(`scoring/llm_scorer.py`). It sits below both and imports neither: only `config` and the standard library."""

from llm.client import ChatMessage, LlmClient, LlmError, Role

__all__ = ["ChatMessage", "LlmClient", "LlmError", "Role"]
