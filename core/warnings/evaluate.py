"""One rule on one record: does its condition hold, under which key, with what message and for
whom — or the error that stopped it (the rule is then reported and skipped for that record)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from metadata.model import Metadata, text_of
from metadata.rule import Rule

from ..fastformula import compile_fast
from ..formula import compile_formula
from ..workflow.resolve import Directory, resolve
from .render import render

ERROR_KEY = "!error"          # the key of the warning that reports a rule's failure on a record
ADMIN_ROLE = "admin"          # who receives those reports


@dataclass(frozen=True)
class Outcome:
    key: str
    level: str
    message: Mapping[str, str]
    recipients: tuple[str, ...]
    error: str | None = None


@dataclass
class Context:
    """What every evaluation needs, built once per scan or hook call."""
    meta: Metadata
    functions: Mapping[str, Any]
    today: Any
    directory: Directory

    compiled: dict[str, Callable | None] = field(default_factory=dict, repr=False)
    fast_functions: dict[str, Any] | None = field(default=None, repr=False)

    def run(self, text: str, env: Mapping[str, Any]):
        """Formula `text` on `env`: compiled to closures once per context (core.fastformula: the same
        operators and functions); whatever they raise is evaluated again by the formula engine
        itself, which gives the value or the error exactly as everywhere else."""
        try:
            fn = self.compiled[text]
        except KeyError:
            try:
                fn = compile_fast(text, self._fast_functions())
            except Exception:  # noqa: BLE001 - no fast form: the engine evaluates it
                fn = None
            self.compiled[text] = fn
        if fn is not None:
            try:
                return fn(env, self)
            except Exception:  # noqa: BLE001 - the engine reports it (or disagrees: its value wins)
                pass
        return compile_formula(text).evaluate(env, functions=self.functions, today=self.today)

    def _fast_functions(self) -> Mapping[str, Any]:
        """The functions for the compiled closures: LOOKUP remembers its answers for the scan
        (the thresholds are read once, not once per record)."""
        if self.fast_functions is None:
            self.fast_functions = dict(self.functions)
            if "LOOKUP" in self.fast_functions:
                self.fast_functions["LOOKUP"] = _remembered(self.fast_functions["LOOKUP"])
        return self.fast_functions

    def admins(self) -> tuple[str, ...]:
        return tuple(sorted(p.username for p in self.directory.people if ADMIN_ROLE in p.roles))


def evaluate(rule: Rule, env: Mapping[str, Any], ctx: Context) -> list[Outcome]:
    """The warnings the rule gives for a record's values (`env`: its fields, `id`, `created_by`,
    reached links loaded): [] when the condition does not hold, one Outcome per key when it does,
    or one error Outcome (key ERROR_KEY) when a formula or a recipient fails."""
    try:
        if not ctx.run(rule.condition, env):
            return []
        key = "" if not rule.key else _key(ctx.run(rule.key, env))
        message = render(rule.message, env, run=ctx.run)
        people = resolve(rule.recipients, ctx.directory, initiator=env.get("created_by") or "", values=env,
                         codelists=ctx.meta.codelists, functions=ctx.functions, today=ctx.today)
    except Exception as e:  # noqa: BLE001 - a broken rule is reported and skipped, never a crash
        return [failure(rule, env.get("id"), e, ctx)]
    return [Outcome(key, rule.level, message, tuple(people))]


def _remembered(fn: Callable) -> Callable:
    answers: dict = {}

    def remembered(*args):
        try:
            return answers[args]
        except KeyError:
            answers[args] = value = fn(*args)
            return value
        except TypeError:                     # an argument that is not hashable
            return fn(*args)
    return remembered


def recipients_of(resolvers, env: Mapping[str, Any], ctx: Context) -> list[str]:
    """Escalation recipients (a failure gives the administrators)."""
    try:
        return resolve(resolvers, ctx.directory, initiator=env.get("created_by") or "", values=env,
                       codelists=ctx.meta.codelists, functions=ctx.functions, today=ctx.today)
    except Exception:  # noqa: BLE001
        return list(ctx.admins())


def failure(rule: Rule, record_id, error: Exception, ctx: Context) -> Outcome:
    en, zh = _texts(error)
    message = {"zh": f"预警规则「{text_of(rule.label)}」({rule.name}) 在记录 #{record_id} 上计算出错:{zh}",
               "en": f"the warning rule '{text_of(rule.label, 'en')}' ({rule.name}) failed on record "
                     f"#{record_id}: {en}"}
    return Outcome(ERROR_KEY, "red", message, ctx.admins(), error=message["en"][:2000])


def _texts(error: Exception) -> tuple[str, str]:
    """(english, chinese) of a formula error (`e.zh`) or a Danbao error (`e.message`)."""
    m = getattr(error, "message", None)
    if isinstance(m, Mapping):
        return str(m.get("en", "")), str(m.get("zh") or m.get("en", ""))
    return str(error), getattr(error, "zh", None) or str(error)


def _key(value) -> str:
    from .render import show
    return show(value, "en")[:200]
