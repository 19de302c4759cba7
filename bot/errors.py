"""Errors a person may see: each names the field and the rule it broke."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One field in error: the option's ``field`` name and the ``rule`` its value broke."""

    field: str
    rule: str

    @property
    def text(self) -> str:
        """``field: rule``, as a person reads it."""
        return f"{self.field}: {self.rule}"


class UserError(Exception):
    """A refusal to show the person who asked, in plain words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def errors(self) -> list[FieldError]:
        """The fields this refusal names; none for a refusal about something else."""
        return []


class ValidationError(UserError):
    """An input that broke a rule: ``field`` is the option's name, ``rule`` what it must be."""

    def __init__(self, field: str, rule: str) -> None:
        super().__init__(f"{field}: {rule}")
        self.field = field
        self.rule = rule

    @property
    def errors(self) -> list[FieldError]:
        return [FieldError(self.field, self.rule)]


class InvalidFields(UserError):
    """Several inputs broke their rules at once; each is named, one a line."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("\n".join(error.text for error in errors))
        self._errors = list(errors)

    @property
    def errors(self) -> list[FieldError]:
        return list(self._errors)


class MissingFields(UserError):
    """Required options were not given; an interactive adapter asks for them with a form."""

    def __init__(self, command: str, fields: list[str]) -> None:
        names = ", ".join(fields)
        plural = "s" if len(fields) > 1 else ""
        super().__init__(f"/{command} needs the field{plural} {names}")
        self.command = command
        self.fields = fields


class PermissionDenied(UserError):
    """The caller's role is below what the command needs."""


class NotConfigured(UserError):
    """The workspace or server is not listed by any organization."""

    def __init__(self) -> None:
        super().__init__(
            "rallybot is not set up for this workspace yet. An organizer can add it to the "
            "bot's configuration; until then nothing you send here is stored."
        )
