"""The error for an unknown name given to compile(), a layer or a getter."""
import difflib


def unknown_name(kind, name, known):
    """ValueError for `name` that is not one of `known`, with a "did you mean"
    when a known name is close (a typo such as 'adamm' or 'acuracy')."""
    known = sorted(set(known))
    close = difflib.get_close_matches(str(name).lower(), known, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else "."
    return ValueError(f"Unknown {kind} {name!r}{hint} Known: {', '.join(known)}")
