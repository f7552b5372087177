"""Our Python overrides of Qt's virtual functions (paintEvent, data, eventFilter, sizeHint, ...) hand
an exception to sys.excepthook instead of to Qt.

An exception that leaves such an override while Python code has called into Qt (a `grab()`, a
`show()`, a key typed into a dialog, a model reset that makes a view ask `data()`) is kept by
shiboken, to be raised when that call returns. On Python 3.11 PySide 6.11 keeps it wrongly when C
code raised it (a ValueError from `date()`, a TypeError, an OverflowError): it reads the message of
what is not yet an exception object, and the app crashed (SIGSEGV in PepException_GetArgs) where the
person saw a window vanish with what she had typed. Guarded, the exception is reported as a slot's
is (the app's hook, ui/unexpected.py, logs it and tells the person once; a test fails with it,
through pytest-qt's capture) and Qt gets what its own implementation gives, or `fallback` where Qt
has none (a model's rowCount, data)."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar, overload

GUARDED = "_qt_override_guarded"
F = TypeVar("F", bound=Callable[..., Any])


class _Guard:
    """Stands in the class body until the class exists: only then is Qt's own implementation
    known (the next one after the class that overrides it), and the guarded method put in its place."""

    def __init__(self, method: Callable[..., Any], fallback: Any) -> None:
        self.method, self.fallback = method, fallback

    def __set_name__(self, owner: type, name: str) -> None:
        method, fallback = self.method, self.fallback

        @functools.wraps(method)
        def override(this: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(this, *args, **kwargs)
            except Exception:  # noqa: BLE001 - reported here, never swallowed
                sys.excepthook(*sys.exc_info())
            try:
                return getattr(super(owner, this), name)(*args, **kwargs)
            except NotImplementedError:  # a pure virtual: Qt has nothing to give
                return fallback

        setattr(override, GUARDED, True)
        setattr(owner, name, override)


@overload
def guarded(method: F) -> F: ...
@overload
def guarded(*, fallback: Any) -> Callable[[F], F]: ...
def guarded(method: Any = None, *, fallback: Any = None) -> Any:
    """Decorate a method that overrides a Qt virtual function: `@guarded`, or `@guarded(fallback=0)`
    where Qt's class has no implementation to fall back to after an exception (a pure virtual)."""
    if method is None:
        return lambda m: _Guard(m, fallback)
    return _Guard(method, fallback)


def is_guarded(method: Any) -> bool:
    return getattr(method, GUARDED, False)


__all__ = ["guarded", "is_guarded"]
