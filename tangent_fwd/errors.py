"""The one public exception hierarchy: everything the compiler rejects is a TransformError."""


class TransformError(Exception):
    """Raised when tangent_fwd cannot produce a correct derivative.

    When the problem is tied to user source, the message names the file, line and column, quotes
    the line and says what to do instead.
    """

    def __init__(self, message, *, filename=None, lineno=None, col=None, source_line=None, hint=None):
        self.filename, self.lineno, self.col = filename, lineno, col
        self.source_line, self.hint = source_line, hint
        self.reason = message
        parts = []
        if filename is not None and lineno is not None:
            where = f"{filename}:{lineno}"
            if col is not None:
                where += f":{col + 1}"
            parts.append(f"{where}: {message}")
        else:
            parts.append(message)
        if source_line:
            parts.append(f"    {source_line.strip()}")
            if col is not None:
                indent = len(source_line) - len(source_line.lstrip())
                parts.append("    " + " " * max(col - indent, 0) + "^")
        if hint:
            parts.append(f"hint: {hint}")
        super().__init__("\n".join(parts))


class UnsupportedSyntaxError(TransformError):
    """A construct the compiler does not differentiate (try, with, yield, class, ...)."""


class MissingRuleError(TransformError):
    """A differentiated value reaches a callable with neither a JVP rule nor Python source."""


class SourceUnavailableError(TransformError):
    """The function's source cannot be read (REPL, exec, C extension)."""


class ArgumentError(TransformError, ValueError):
    """Bad arguments to the public API: wrt, tangent shapes or structures, backend names."""


class InternalError(TransformError):
    """A bug in tangent_fwd itself, met while transforming the named statement: reported as a refusal
    (with the original exception chained), never as a half-built derivative."""


class NotDifferentiableHere(MissingRuleError, NotImplementedError):
    """Raised by the generated code at run time where a derivative depends on values the compiler
    could not see (numpy.pad with mode='maximum', a second derivative of a matrix norm...): a refusal,
    never a guess. Also a NotImplementedError. Its text names the user's file and line once the
    traceback passes through generated code (tangent_fwd.origins)."""

    def __str__(self):
        describe = LOCATE[0]
        return describe(self) if describe is not None else super().__str__()


LOCATE = [None]  # set by tangent_fwd.origins: the message with the user's location
