"""Errors a user can cause, each carrying the place it happened (file, row, column, gate, expectation)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One defect in an input: where it is and why it is wrong."""

    file: str
    reason: str
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        place = self.file
        if self.row is not None:
            place += f", row {self.row}"
        if self.column:
            place += f", column {self.column!r}"
        return f"{place}: {self.reason}"


class DataabsError(Exception):
    """Base of every error an operator can cause or fix; the CLI prints it as one paragraph, exit code 2."""

    exit_code: int = 2


@dataclass
class PackageInvalid(DataabsError):
    """A deal package failed validation; every problem found is listed at once."""

    package: str
    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"Deal package {self.package} is invalid ({len(self.problems)} problem(s)):"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


@dataclass
class GateFailed(DataabsError):
    """A stage's data-quality gate blocked the commit."""

    deal_id: str
    stage: str
    suite: str
    failures: list[str] = field(default_factory=list)
    exit_code: int = 3

    def __str__(self) -> str:
        head = (
            f"Gate {self.suite!r} failed for deal {self.deal_id}, stage {self.stage}; nothing was committed."
        )
        return "\n".join([head, *[f"  - {f}" for f in self.failures]])


class CounterpartyError(DataabsError):
    """A counterparty (registry, bank, curve) answered wrongly or not at all after the retries."""

    exit_code = 4


class LedgerError(DataabsError):
    """The ledger refused an operation (unknown deal, period already closed, lock held)."""

    exit_code = 5
