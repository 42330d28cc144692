"""The driver's errors, as Magnum's API can give them to the operator.

magnum-api calls some verbs synchronously (upgrade, credential rotation,
CA rotation) and rebuilds the conductor's exception from its reply only
when the exception's class is defined in `magnum.common.exception`; any
other class reaches the operator's CLI as "Remote error: <class> <text>"
with HTTP 500. Inside the driver, errors keep classes of their own
(BridgeError, FactError, ...) so that the conductor's log names them;
`magnum_errors` re-raises them, as a verb leaves the driver, as instances
of the nearest Magnum class they derive from (a refusal of the CA rotation
stays NotSupported, 400; a failed bridge call is MagnumException, 500),
with the same text and attributes.

magnum-api also gives the CLI only the text up to its first full stop, so
each error's text opens with a sentence that stands alone (see `headline`).
Classes are told by their shape, never by Magnum's version.
"""

import functools

from magnum.common import exception

_MAGNUM_MODULE = exception.__name__


def magnum_error(class_name, text, **attributes):
    """An instance of Magnum's exception class `class_name` (its base
    MagnumException where this Magnum has no such class) with the message
    `text` and the given attributes."""
    magnum_class = getattr(exception, class_name, None)
    if not (isinstance(magnum_class, type) and
            issubclass(magnum_class, exception.MagnumException)):
        magnum_class = exception.MagnumException
    # Magnum formats `message` with the exception's kwargs: a '%' of the
    # text must stay itself.
    error = magnum_class(message=text.replace("%", "%%"))
    for name, value in attributes.items():
        setattr(error, name, value)
    return error


def headline(summary, details):
    """`summary` (no full stop) as the text's first sentence, then
    `details` (which may hold versions, addresses and file names)."""
    return "%s. %s" % (summary, details) if details else summary


def for_magnum(error):
    """`error` as an instance of a class of Magnum's module: itself when it
    is one (or not a MagnumException), else the nearest Magnum class it
    derives from, with its text and its instance attributes."""
    if not isinstance(error, exception.MagnumException) or \
            type(error).__module__ == _MAGNUM_MODULE:
        return error
    nearest = next(cls for cls in type(error).__mro__
                   if cls.__module__ == _MAGNUM_MODULE)
    attributes = {name: value for name, value in vars(error).items()
                  if name not in ("kwargs", "message")}
    return magnum_error(nearest.__name__, str(error), **attributes)


def magnum_errors(verb):
    """Decorates a driver verb: the errors it raises leave it as
    `for_magnum` makes them, chained to the original."""
    @functools.wraps(verb)
    def wrapped(*args, **kwargs):
        try:
            return verb(*args, **kwargs)
        except exception.MagnumException as e:
            converted = for_magnum(e)
            if converted is e:
                raise
            raise converted from e
    return wrapped
