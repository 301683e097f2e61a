"""The customer voiced by a model behind an OpenAI-compatible chat-completions API.

Works with OpenAI, vLLM, Ollama, llama.cpp server…: only `chat.completions.create(stream=True)`
is used. What the customer does is decided by the same state machine as the offline engine
(`customer.py`): this engine only asks the model to put that decision into words
(`prompt.py`). The model plays the customer as the `assistant` and hears the trainee as the
`user`, so nothing the trainee types becomes an instruction, and the outcome never depends on
what the model says.

What reaches the trainee is still checked by code (`guards.py`): a reply that repeats the
prompt's canary, our own wording, a hidden fact (word for word or in other words) or the confirm
line too early is replaced by the offline voice's words for the same decision.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import math
import ssl
import threading
import weakref

import openai
from django.conf import settings

from sessions_app.engines.base import (
    CustomerEngine,
    CustomerReply,
    EngineError,
    Opening,
    ReplyResult,
    TokenBudgetExhausted,
    Turn,
    ticket_of,
)
from sessions_app.engines.customer import CustomerState
from sessions_app.engines.guards import (
    HOLD_MIN,
    GuardChain,
    LeakGuard,
    paraphrased_fact,
)
from sessions_app.engines.offline import customer_turn, last_customer_text, latest_agent_texts
from sessions_app.engines.prompt import (
    build_messages,
    build_system_prompt,
    guarded_secrets,
    prompt_canary,
    prompt_wording,
)
from sessions_app.engines.text import stable_seed
from sessions_app.engines.voice import compose

__all__ = [
    "HOLD_MIN",
    "LeakGuard",
    "OpenAICompatEngine",
    "build_messages",
    "build_system_prompt",
    "prompt_canary",
    "prompt_wording",
]

logger = logging.getLogger(__name__)

_TRANSIENT_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}


def estimate_tokens(text: str) -> int:
    """Roughly four characters a token: good enough for a budget when the server sends no
    usage."""
    return math.ceil(len(text) / 4)


class _StreamCut(Exception):
    """The stream ended without a finish reason: the server or the network dropped it."""


def _is_transient(exc: Exception) -> bool:
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in _TRANSIENT_STATUS
    return isinstance(exc, (openai.APIConnectionError, _StreamCut))


# The optional parts of a request as the server (base URL, model) last took them, so that a
# server's refusals cost an extra round trip once per process, not on every reply. The first
# try sends `max_completion_tokens`, because OpenAI's reasoning models refuse `max_tokens`;
# they refuse a temperature of ours too, which is then dropped.
_FIRST_SHAPE = {"tokens": "max_completion_tokens", "temperature": True, "usage": True}
_request_shapes: dict[tuple[str | None, str], dict] = {}


def _request_options(shape: dict, max_tokens: int) -> dict:
    options: dict = {shape["tokens"]: max_tokens}
    if shape["temperature"]:
        options["temperature"] = 0.7
    if shape["usage"]:
        options["stream_options"] = {"include_usage": True}
    return options


def _without_rejected(shape: dict, exc: openai.APIStatusError, *, tokens_switched: bool):
    """`shape` without what the server's 400 (or 422) names, or None when it names none of it.

    Servers name the parameter they refuse (OpenAI, vLLM, Azure, FastAPI-style validation); an
    error that merely mentions one (a context overflow quoting `max_tokens`) costs one more try,
    not a loop: the token parameter switches once a reply, the others can only be dropped.
    """
    said = str(exc)
    fallback = dict(shape)
    if not tokens_switched and shape["tokens"] in said:
        other = {"max_tokens": "max_completion_tokens"}.get(shape["tokens"], "max_tokens")
        fallback["tokens"] = other
    if shape["temperature"] and "temperature" in said:
        fallback["temperature"] = False
    if shape["usage"] and "stream_options" in said:
        fallback["usage"] = False
    return fallback if fallback != shape else None


class OpenAICompatEngine(CustomerEngine):
    name = "openai"

    def opening(self, *, scenario: dict) -> Opening:
        """The ticket description, as written: no model call, so starting is instant and free."""
        state = CustomerState.start(scenario)
        description = str(ticket_of(scenario).get("description") or "").strip()
        return Opening(text=description, state=state.as_dict())

    def reply(
        self, *, scenario: dict, transcript: list[Turn], state: dict, tokens_used: int = 0
    ) -> CustomerReply:
        budget = settings.OPENAI_MAX_TOKENS_PER_SESSION - tokens_used
        if budget <= 0:
            raise TokenBudgetExhausted()
        max_tokens = max(1, min(settings.OPENAI_MAX_TOKENS_PER_REPLY, budget))
        # The decision first (a few ms of CPU), then the model only words it.
        current, reaction = customer_turn(scenario=scenario, transcript=transcript, state=state)
        messages = build_messages(scenario, transcript, state=current, reaction=reaction)
        secrets = guarded_secrets(scenario, current, prompt=messages[0]["content"])

        def in_offline_words() -> str:
            previous = last_customer_text(transcript)
            seed = stable_seed(len(transcript), " ".join(latest_agent_texts(transcript)), previous)
            return compose(scenario=scenario, reaction=reaction, previous=previous, seed=seed)

        async def produce(reply: CustomerReply):
            usage_tokens = None
            completion_tokens = None
            attempt = 0
            shape_key = (settings.OPENAI_BASE_URL, settings.OPENAI_MODEL)
            shape = _request_shapes.get(shape_key, _FIRST_SHAPE)
            tokens_switched = False
            deadline_seconds = float(settings.OPENAI_REPLY_DEADLINE)
            deadline = asyncio.get_running_loop().time() + deadline_seconds
            # Kept open for the next reply (keep-alive): not closed here.
            client = await _pooled_client()
            while True:
                yielded = False
                guard = GuardChain(LeakGuard(secrets=secrets, wording=prompt_wording()))
                said = ""
                try:
                    # The deadline bounds each wait for the server, never a `yield`: a timeout
                    # scope left open across one fires in whatever the caller awaits meanwhile
                    # (the socket's send) and cancels the caller's task instead of raising here.
                    async with asyncio.timeout_at(deadline):
                        stream = await client.chat.completions.create(
                            model=settings.OPENAI_MODEL,
                            # The messages go as they are, in `extra_body` (which wins over the
                            # typed argument): they are plain strings, and the SDK's type-driven
                            # walk over `messages` took ~1.5-8 ms a reply before the request
                            # left, growing with the chat. The bytes sent are the same.
                            messages=[],
                            extra_body={"messages": messages},
                            stream=True,
                            **_request_options(shape, max_tokens),
                        )
                    _request_shapes[shape_key] = shape
                    finished = False
                    try:
                        chunks = aiter(stream)
                        while True:
                            async with asyncio.timeout_at(deadline):
                                try:
                                    chunk = await anext(chunks)
                                except StopAsyncIteration:
                                    break
                            if getattr(chunk, "usage", None) is not None:
                                usage_tokens = chunk.usage.total_tokens
                                completion_tokens = chunk.usage.completion_tokens
                            for choice in chunk.choices or []:
                                if choice.finish_reason:
                                    finished = True
                                content = choice.delta.content if choice.delta else None
                                if content:
                                    said += content
                                    ready = guard.feed(content)
                                    if ready:
                                        yielded = True
                                        yield ready
                    finally:
                        # A stream read to its end gives its connection back to the pool; one
                        # cut or abandoned part-way is closed, never reused.
                        await stream.close()
                    if not finished:
                        raise _StreamCut("the reply stream ended early")
                    if shape["tokens"] != "max_tokens" and (completion_tokens or 0) > max_tokens:
                        # It took `max_completion_tokens` without a word and ignored it (Ollama,
                        # LM Studio, older llama.cpp): only `max_tokens` caps its next replies.
                        logger.warning("Customer model ignored max_completion_tokens")
                        _request_shapes[shape_key] = {**shape, "tokens": "max_tokens"}
                    break
                except TimeoutError as exc:
                    detail = f"no whole reply within OPENAI_REPLY_DEADLINE ({deadline_seconds:g} s)"
                    logger.warning("Customer model failed: %s", detail)
                    raise EngineError(detail=detail) from exc
                except (openai.BadRequestError, openai.UnprocessableEntityError) as exc:
                    fallback = _without_rejected(shape, exc, tokens_switched=tokens_switched)
                    if fallback is not None and not yielded:
                        tokens_switched |= fallback["tokens"] != shape["tokens"]
                        shape = fallback
                        continue
                    raise EngineError(detail=_short(exc)) from exc
                except Exception as exc:
                    if yielded or not _is_transient(exc) or attempt >= _max_retries():
                        logger.warning("Customer model failed: %s", _short(exc))
                        raise EngineError(detail=_short(exc)) from exc
                    attempt += 1
                    # Never past the deadline: the next request's scope then fails at once.
                    pause = min(
                        2.0, 0.25 * 2**attempt, deadline - asyncio.get_running_loop().time()
                    )
                    await asyncio.sleep(max(0.0, pause))

            tail = guard.finish()
            if tail:
                yield tail
            text = said.strip()
            leaked = paraphrased_fact(scenario, text, current.revealed) if text else None
            if guard.leaked or leaked:
                logger.warning(
                    "Customer reply withheld: it told %s",
                    f"the hidden fact {leaked!r}" if leaked else "hidden scenario data",
                )
                text = in_offline_words()
            elif not text:
                text = in_offline_words()
                yield text
            if usage_tokens is None:
                prompt = json.dumps(messages)
                usage_tokens = estimate_tokens(prompt) + estimate_tokens(text)
            reply.result = ReplyResult(
                text=text,
                state=current.as_dict(),
                outcome=reaction.outcome,
                tokens=int(usage_tokens),
            )

        return CustomerReply(produce)


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One TLS context for every client: building it loads the CA bundle, ~17 ms of CPU that
    each new client paid before its first token (`make bench`, LLM path).

    The standard library's, not an HTTP package's: `make run` installs only requirements.txt,
    which has no httpx (the SDK brings its own transport), and importing one here made every
    scenario start a 500 once a key was set. It trusts the system's CA store, and
    `SSL_CERT_FILE` / `SSL_CERT_DIR` when set.
    """
    return ssl.create_default_context()


class _LoopClients:
    """The model clients of one event loop, by settings, closed when that loop shuts down.

    An httpx connection pool belongs to the loop it was used in: the ASGI server has one loop
    per process, so its replies share kept-alive connections; a REST reply (`async_to_sync`,
    a new loop per call) gets its own client, closed with its loop. The closing is done by an
    async generator that never finishes: `loop.shutdown_asyncgens()` (`asyncio.run`, ASGI
    servers, asgiref, pytest-asyncio all call it) closes it while the loop can still await.
    """

    def __init__(self):
        self.clients: dict[tuple, openai.AsyncOpenAI] = {}
        self.closer = self._close_at_shutdown()

    async def _close_at_shutdown(self):
        try:
            yield
        finally:
            clients, self.clients = list(self.clients.values()), {}
            for client in clients:
                with contextlib.suppress(Exception):
                    await client.close()
            with _clients_lock:
                _clients.pop(asyncio.get_running_loop(), None)


_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopClients] = (
    weakref.WeakKeyDictionary()
)
_clients_lock = threading.Lock()


async def _pooled_client() -> openai.AsyncOpenAI:
    """This loop's client for the current settings (a test pointing OPENAI_BASE_URL at its
    own server gets its own), created on first use and then kept with its connections."""
    loop = asyncio.get_running_loop()
    api_key = settings.OPENAI_API_KEY or "not-needed"
    key = (settings.OPENAI_BASE_URL, api_key, settings.OPENAI_TIMEOUT)
    with _clients_lock:
        pool = _clients.get(loop)
        client = pool.clients.get(key) if pool is not None else None
        if client is not None and not client.is_closed():
            return client
        new_pool = pool is None
        if new_pool:
            # Loops that closed without shutting down their async generators: drop theirs.
            for closed in [other for other in _clients if other.is_closed()]:
                del _clients[closed]
            pool = _clients[loop] = _LoopClients()
        client = pool.clients[key] = openai.AsyncOpenAI(
            api_key=api_key,
            base_url=settings.OPENAI_BASE_URL,
            timeout=settings.OPENAI_TIMEOUT,
            max_retries=0,
            http_client=openai.DefaultAsyncHttpxClient(verify=_tls_context()),
        )
    if new_pool:
        await pool.closer.asend(None)
    return client


def _max_retries() -> int:
    return max(0, int(settings.OPENAI_MAX_RETRIES))


def _short(exc: Exception) -> str:
    return f"{type(exc).__name__}: {str(exc)[:200]}"
