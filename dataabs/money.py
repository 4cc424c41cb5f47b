"""Exact money: CNY amounts as ``Decimal`` rounded to the fen (分) half-up, never float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

FEN = Decimal("0.01")
ZERO = Decimal("0.00")


def to_money(value: object) -> Decimal:
    """Parse a number (str, int, Decimal; float only via its repr) into a Decimal amount, unrounded."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        value = repr(value)
    try:
        result = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"not a number: {value!r}") from exc
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return result


def round_fen(amount: Decimal) -> Decimal:
    """Round an amount to the fen, half-up (四舍五入)."""
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def to_fen(amount: Decimal) -> int:
    """Integer fen of an amount, rounded half-up."""
    return int(round_fen(amount) * 100)


def from_fen(fen: int) -> Decimal:
    """Decimal yuan of an integer fen amount."""
    return (Decimal(fen) / 100).quantize(FEN)
