"""Keras 3's ``keras.saving`` object registry (exposed as pynn.saving.*):
``register_keras_serializable``, ``get_custom_objects``, ``custom_object_scope``,
``serialize_keras_object``, ``deserialize_keras_object``, ``get_registered_name``,
``get_registered_object``.

A saved config names classes and functions; loading finds them only among
pynn's own classes and those the user made known — registered (globally, or by
``register_keras_serializable``), in an active ``custom_object_scope``, or in the
``custom_objects`` argument. Nothing in a file is imported or executed."""
import inspect
import threading

__all__ = ["register_keras_serializable", "get_custom_objects", "custom_object_scope",
           "serialize_keras_object", "deserialize_keras_object", "get_registered_name",
           "get_registered_object"]

_GLOBAL = {}         # Keras' GLOBAL_CUSTOM_OBJECTS: registered name -> object
_NAMES = {}          # id(object) -> its registered name
_SCOPES = threading.local()


def register_keras_serializable(package="Custom", name=None):
    """Registers a class or function under ``"package>name"`` so that saved models that use
    it load without ``custom_objects`` (a decorator, as in Keras).

    Parameters
    ----------
    package : str, default "Custom"
        A namespace for the name.
    name : str, optional
        The name (default: the object's ``__name__``).

    Returns
    -------
    callable
        The decorator; it returns the object unchanged.

    Raises
    ------
    ValueError
        A class without ``get_config``, or a name already registered to another object.

    Examples
    --------
    >>> @pynn.saving.register_keras_serializable(package="Docs")
    ... def doubled_relu(x):
    ...     return pynn.ops.relu(x) * 2.0
    >>> pynn.saving.get_registered_name(doubled_relu)
    'Docs>doubled_relu'
    >>> pynn.saving.get_registered_object("Docs>doubled_relu") is doubled_relu
    True
    """
    if not isinstance(package, str) or ">" in package:
        raise ValueError(f"register_keras_serializable: package must be a string without '>', "
                         f"got {package!r}")

    def decorator(obj):
        registered = f"{package}>{name or obj.__name__}"
        if inspect.isclass(obj) and not hasattr(obj, "get_config"):
            raise ValueError(f"Cannot register {obj.__name__}: a class needs get_config()")
        old = _GLOBAL.get(registered)
        if old is not None and old is not obj and getattr(old, "__qualname__", None) != \
                getattr(obj, "__qualname__", object()):
            raise ValueError(f"{registered!r} is already registered to {old!r}")
        _GLOBAL[registered] = obj
        _NAMES[id(obj)] = registered
        return obj
    return decorator


def get_custom_objects():
    """Returns the global dict of registered objects (name -> object); adding to it
    registers an object under that name, as in Keras.

    Returns
    -------
    dict

    Examples
    --------
    >>> def tripled(x):
    ...     return x * 3.0
    >>> pynn.saving.get_custom_objects()["tripled"] = tripled
    >>> pynn.saving.get_registered_object("tripled") is tripled
    True
    >>> del pynn.saving.get_custom_objects()["tripled"]
    """
    return _GLOBAL


class custom_object_scope:
    """A context in which the given objects are known by name to loading and deserializing.

    Parameters
    ----------
    *custom_objects : dict
        Name -> class or function (several dicts are merged).

    Raises
    ------
    TypeError
        An argument that is not a dict.

    Examples
    --------
    >>> def halved(x):
    ...     return x * 0.5
    >>> with pynn.saving.custom_object_scope({"halved": halved}):
    ...     pynn.saving.get_registered_object("halved") is halved
    True
    >>> pynn.saving.get_registered_object("halved") is None
    True
    """

    def __init__(self, *custom_objects):
        merged = {}
        for d in custom_objects:
            if d is None:
                continue
            if not isinstance(d, dict):
                raise TypeError(f"custom_object_scope takes dicts, got {type(d).__name__}")
            merged.update(d)
        self.custom_objects = merged

    def __enter__(self):
        _stack().append(self.custom_objects)
        return self

    def __exit__(self, *exc):
        _stack().pop()


def _stack():
    if not hasattr(_SCOPES, "stack"):
        _SCOPES.stack = []
    return _SCOPES.stack


def get_registered_name(obj):
    """Returns the name an object is registered under (its ``__name__`` if it is not).

    Parameters
    ----------
    obj : class or function
        The object.

    Returns
    -------
    str

    Examples
    --------
    >>> pynn.saving.get_registered_name(pynn.layers.Dense)
    'Dense'
    """
    return _NAMES.get(id(obj), getattr(obj, "__name__", type(obj).__name__))


def get_registered_object(name, custom_objects=None, module_objects=None):
    """Returns the object known by ``name``, or None.

    Looks in ``custom_objects``, then the active scopes (innermost first), then the
    global registry; a bare name also matches a registered ``"package>name"``.

    Parameters
    ----------
    name : str
        A registered name (``"package>name"``) or a plain name.
    custom_objects : dict, optional
        Extra name -> object pairs, searched first.
    module_objects : dict, optional
        Searched last (Keras' argument).

    Returns
    -------
    object or None

    Examples
    --------
    >>> pynn.saving.get_registered_object("no_such_thing") is None
    True
    """
    for d in [custom_objects or {}, *reversed(_stack()), _GLOBAL, module_objects or {}]:
        if name in d:
            return d[name]
    if isinstance(name, str) and ">" not in name:
        matches = [obj for key, obj in _GLOBAL.items() if ">" in key and key.split(">", 1)[1] == name]
        if len(matches) == 1:
            return matches[0]
    return None


def serialize_keras_object(obj):
    """Returns a JSON-friendly description of a layer, model, function or pynn object.

    Layers, losses, metrics, optimizers, initializers, regularizers and schedules
    become ``{"module", "class_name", "config", "registered_name"}``; a function
    ``{"class_name": "function", "config": its name}``; plain data is returned as is.

    Parameters
    ----------
    obj : object
        What to describe.

    Returns
    -------
    dict, list, str, number or None

    Raises
    ------
    ValueError
        An anonymous function (a lambda has no name to load it by).
    TypeError
        An object without ``get_config``.

    Examples
    --------
    >>> cfg = pynn.saving.serialize_keras_object(pynn.layers.Dense(3, name="d"))
    >>> cfg["class_name"], cfg["config"]["units"]
    ('Dense', 3)
    >>> pynn.saving.deserialize_keras_object(cfg).units
    3
    """
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(o) for o in obj]
    if isinstance(obj, dict):
        return {k: serialize_keras_object(v) for k, v in obj.items()}
    from .models import Model
    registered = _NAMES.get(id(type(obj)))
    if isinstance(obj, Model):
        from .saving import model_to_config
        return dict(model_to_config(obj), module="pynn.models", registered_name=registered)
    if inspect.isfunction(obj) or inspect.isbuiltin(obj):
        name = getattr(obj, "__name__", None)
        if not name or name == "<lambda>":
            raise ValueError(f"Cannot serialize the anonymous function {obj!r}: define it with "
                             "`def` (and register it) so that it can be found by name")
        return {"module": getattr(obj, "__module__", None), "class_name": "function",
                "config": name, "registered_name": _NAMES.get(id(obj))}
    if not hasattr(obj, "get_config"):
        raise TypeError(f"Cannot serialize {type(obj).__name__}: it has no get_config()")
    return {"module": type(obj).__module__, "class_name": type(obj).__name__,
            "config": obj.get_config(), "registered_name": registered}


def _builtin_class(class_name, module):
    """A pynn class by name, searched in the table its module names (then all of them)."""
    from . import initializers, layers, losses, metrics, optimizers, regularizers, schedules
    tables = {"layers": lambda n: layers._REGISTRY.get(n),
              "losses": lambda n: getattr(losses, n, None),
              "metrics": lambda n: getattr(metrics, n, None),
              "optimizers": lambda n: getattr(optimizers, n, None),
              "initializers": lambda n: getattr(initializers, n, None),
              "regularizers": lambda n: getattr(regularizers, n, None),
              "schedules": lambda n: getattr(schedules, n, None)}
    order = sorted(tables, key=lambda k: k not in (module or ""))
    for key in order:
        cls = tables[key](class_name)
        if inspect.isclass(cls) and hasattr(cls, "from_config"):
            return cls
    return None


def deserialize_keras_object(config, custom_objects=None, safe_mode=True, **kwargs):
    """Rebuilds an object from what `serialize_keras_object` returned.

    Classes and functions are found by name only among registered objects,
    ``custom_objects``, active scopes and pynn's own classes; nothing is imported.

    Parameters
    ----------
    config : dict, list, str, number or None
        A serialized object.
    custom_objects : dict, optional
        Name -> class or function.
    safe_mode : bool, default True
        Accepted for Keras compatibility (pynn never runs code from a config).
    **kwargs
        Accepted for Keras compatibility (``module_objects``).

    Returns
    -------
    object

    Raises
    ------
    ValueError
        A class or function that is not known by its name.

    Examples
    --------
    >>> cfg = pynn.saving.serialize_keras_object(pynn.optimizers.Adam(learning_rate=0.01))
    >>> pynn.saving.deserialize_keras_object(cfg).learning_rate
    0.01
    """
    module_objects = kwargs.get("module_objects")
    if config is None or isinstance(config, (int, float, bool)):
        return config
    if isinstance(config, str):
        obj = get_registered_object(config, custom_objects, module_objects)
        return config if obj is None else obj
    if isinstance(config, list):
        return [deserialize_keras_object(c, custom_objects) for c in config]
    if not isinstance(config, dict) or "class_name" not in config:
        if isinstance(config, dict):
            return {k: deserialize_keras_object(v, custom_objects) for k, v in config.items()}
        raise ValueError(f"Cannot deserialize {config!r:.100}")
    class_name, inner = config["class_name"], config.get("config")
    registered = config.get("registered_name")
    if class_name == "function":
        fn = get_registered_object(registered or inner, custom_objects, module_objects) \
            or get_registered_object(inner, custom_objects, module_objects)
        if fn is None:
            from . import activations
            fn = activations._BY_NAME.get(inner) if isinstance(inner, str) else None
        if fn is None:
            raise ValueError(f"Unknown function {registered or inner!r}: register it with "
                             "pynn.saving.register_keras_serializable or pass custom_objects")
        return fn
    if class_name in ("Sequential", "Functional"):
        from .saving import model_from_config
        with custom_object_scope(custom_objects or {}):
            return model_from_config({"class_name": class_name, "config": inner})
    cls = (get_registered_object(registered, custom_objects, module_objects) if registered else
           None) or get_registered_object(class_name, custom_objects, module_objects) \
        or _builtin_class(class_name, config.get("module"))
    if cls is None:
        raise ValueError(f"Unknown class {registered or class_name!r}: register it with "
                         "pynn.saving.register_keras_serializable or pass custom_objects")
    with custom_object_scope(custom_objects or {}):
        return cls.from_config(inner if isinstance(inner, dict) else {})
